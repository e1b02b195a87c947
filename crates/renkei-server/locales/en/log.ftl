# Delivery log (each event's deliveries, why they went where they went, resending)
log-title = Delivery log
log-intro = Events received, newest first. Open one to see each delivery's result, why it went where it went and every try, and to send a failed one again.
log-filters = Filter
log-filter-status = Result
log-filter-any = Any
log-filter-tool = Tool
log-filter-type = Event type
log-filter-member = Member
log-filter-member-hint = The member's ID in your system.
log-filter-client = Client
log-filter-client-hint = The client's ID in your system.
log-filter-since = From
log-filter-time-hint = Events received at or after this time ({ $zone }).
log-filter-until = Until
log-filter-until-hint = Events received before this time ({ $zone }).
log-filter-apply = Filter
log-filter-clear = Clear filters
log-events = Events
log-events-filtered = Matching events
log-col-type = Type
log-col-title = Title
log-col-deliveries = Deliveries
log-no-title = (no title)
log-no-deliveries = No deliveries
log-none-yet = No events yet. They appear here as soon as your system sends them.
log-none-match = No event matches. Try other filters.
log-walk-stopped = To keep the page fast, the search paused after looking through { $count } events. Older events may match too.
log-walk-nothing-yet = { $count } events were looked through and none matched yet. Press "Keep looking" to search older events.
log-pages = Log pages
log-newest = Back to the newest
log-older = Older events
log-keep-looking = Keep looking
log-no-more = There are no older events.
log-kind-bulk-send = Bulk send
log-kind-calendar = Calendar sync
log-not-found-title = Not found
log-not-found = This event was not found. Pick it again from the delivery log.
log-err-time = Enter the time as { $example }.
log-err-until-before-since = "Until" must be later than "From".
log-err-invalid_status = Pick a result from the list.
log-err-unknown_provider = Pick a tool from the list.
log-err-invalid_time = Enter a valid time.
log-err-invalid_cursor = This page address is not valid. Start again from the newest events.
# One event
log-event-title = Event
log-back = Back to the delivery log
log-the-event = The event
log-fact-type = Type
log-fact-created = Received
log-fact-targets = To
log-fact-link-expires = Confirmation links expire
log-fact-idempotency-key = Idempotency key
log-fact-id = Event ID
log-fact-url = Link
log-fact-body = Body
log-target-tenant = The whole office
log-target-client = Client { $id }
log-target-group = Group { $id }
log-target-member = Member { $id }
log-targets-clients = Clients: { $names }
log-targets-groups = Groups: { $names }
log-targets-members = Members: { $names }
log-targets-rooms = Rooms: { $names }
log-targets-more =
    { $count ->
        [one] , and one more
       *[other] , and { $count } more
    }
log-targets-subgroups = including sub-groups' members
log-list-separator = { "; " }
log-deliveries =
    { $count ->
        [one] One delivery
       *[other] { $count } deliveries
    }
log-pending-hint = Some deliveries are still waiting. Check again in a moment.
log-reload = Show the latest state
log-place-none = Nowhere
log-place-direct = Direct message (account { $account })
log-place-webhook = The webhook's channel
log-place-my-chat = My Chat (room { $room })
log-place-room = Room { $room }
log-for = For
log-connection = Connection
log-connection-n = Connection #{ $id }
log-why = Why it went there
log-mentions = Mentions
log-warnings = Warnings
log-message-id = Message ID
log-confirmed = Confirmed
log-not-confirmed = Not confirmed yet
log-views = Confirmation page opened
log-view-count =
    { $count ->
        [one] once
       *[other] { $count } times
    }
log-next-attempt = Next try: { $time }
log-no-attempts = Not tried yet.
log-attempts =
    { $count ->
        [one] One try
       *[other] { $count } tries
    }
log-col-http = HTTP
log-col-outcome = Outcome
log-col-answer = Tool's answer or error
log-col-latency = Took
log-ms = { $ms } ms
log-delivery-pages = Delivery pages
log-deliveries-first = Back to the first deliveries
log-deliveries-next =
    { $count ->
       *[other] Next { $count }
    }
log-answers-as-received = The tools' answers, and some details, are shown as recorded.
log-resend = Send again
log-resend-confirm = Send this notice to this destination again?
flash-log-resent = Queued to be sent again. It goes out in a moment.
log-open-connection = Open the connection
log-open-connections = Open the connections
log-conn-broken = This connection is broken, so a resend would not arrive. Fix the connection first.
log-conn-off = This connection is switched off. Switch it on first.
log-conn-gone = This connection was deleted. Connect the tool again, then send a new event.
log-err-not_resendable = Not sent again: this delivery is already delivered or waiting to be sent.
log-err-no_connection = This delivery has no connection to send through. Set up a destination, then send a new event.
log-err-connection_gone = The connection it used was deleted, so it cannot be sent again. Connect the tool again, then send a new event.
log-err-connection_broken = The connection is broken, so it cannot be sent again. Fix the connection first (connect again with valid credentials), then resend.
log-err-connection_switched_off = The connection is switched off. Switch it on first, then resend.
log-err-connection-not-found = That connection was not found. Pick one from the list.
# Resending after an outage
log-resend-failed-title = Resend failed deliveries
log-resend-failed-form = Connection and time
log-resend-failed-intro = Once an outage at the tool or a connection problem is over, send again every delivery of that connection that failed since a time.
log-resend-failed-confirm = Send again every delivery that failed since this time?
log-resend-connection = Connection
log-resend-pick = Pick a connection
log-resend-since = Events received since
log-resend-since-hint = In { $zone }. Pick a time a little before the outage began.
log-resend-failed-button = Resend failed deliveries
log-resend-no-connections = There are no connections yet.
log-fix-connection-first = Fix the connection first, then try again.
log-flash-resent-failed =
    { $count ->
        [0] There were no failed deliveries to send again.
        [one] One failed delivery was queued to be sent again.
       *[other] { $count } failed deliveries were queued to be sent again.
    }
log-err-pick-connection = Pick the connection to resend through.
# Results and reasons
log-code-delivered = Delivered
log-code-provider_unavailable = The tool did not answer for now (retried automatically)
log-code-room_rate_limited = The room's posting limit was reached (sent after a short wait)
log-code-credential_rate_limited = The account's sending limit was reached (sent once it resets)
log-code-credentials_rejected = The tool refused the token or credentials
log-code-destination_refused = The tool refused posts to this destination
log-code-retries_exhausted = Retried, but it did not get through in time
log-code-connection_broken = The connection broke
log-code-connection_deleted = Cancelled: the connection was deleted
log-code-connection_switched_off = Not sent: the connection is switched off
log-code-bulk_send_cancelled = The bulk send was cancelled
log-code-client_deleted = Cancelled: the client was deleted
log-code-group_deleted = Cancelled: the group was deleted
log-code-member_deleted = Cancelled: the member was deleted
log-code-preference_off = This event type is set not to go to this tool
log-code-no_connection = No connection to send through
log-code-no_destination = No room is set to send to
log-code-no_group = The member is in no group
log-code-no_identity = The member has no account on this tool yet
log-code-no_members = The group has no members
log-code-unknown_client = No client with this ID
log-code-unknown_group = No group with this ID
log-code-unknown_member = No member with this ID
log-code-chatwork_not_a_contact = Not a Chatwork contact, so no direct chat
log-code-chatwork_insufficient_scope = The Chatwork connection lacks a permission (scope)
log-code-direct_not_supported = This tool cannot send direct messages
log-code-line_invalid_user_id = The LINE user ID is not valid
log-code-line_not_linked = The person has not added the LINE account as a friend
log-code-line_works_access_denied = LINE WORKS denied access
log-code-line_works_scope_missing = The LINE WORKS bot lacks a permission (scope)
log-code-slack_not_in_channel = The Slack app is not in the channel
log-code-teams_invalid_card = Teams did not accept the message's format
log-skipped =
    { $count ->
       *[other] Not sent ({ $count })
    }
log-skip-reason = Why not sent
log-more-filters = Member, client and time
log-only-status-label = Deliveries by result (pick one to show only those)
log-only-status = Showing only deliveries that are “{ $status }”.
log-show-all-deliveries = Show every delivery
