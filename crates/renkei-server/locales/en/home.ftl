home-title = Home
home-last-24h = Last 24 hours
home-at-least = { $count }+
home-attention = Needs attention
home-all-well = Nothing needs your attention.
home-connections = Connections
home-no-connections = No tool is connected yet.
home-connect-first = Connect the first one
attention-broken = The { $tool } connection is broken. Check its settings.
attention-self-mention = { $name }'s Chatwork account is the one that posts: a mention of yourself shows no badge.
attention-group-default-room = Group "{ $group }" has no { $tools } room of its own or inherited, so its notices go to the connection's default room.
attention-missing-identity = { $count ->
    [one] One member has
   *[other] { $count } members have
} no { $tool } account yet.
audit-title = Audit log
audit-intro = Every change made in the console or through the API, newest first.
audit-empty = Nothing recorded yet.
audit-older = Older entries
