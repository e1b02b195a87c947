# Connections (the list, connect forms, each connection's page, Chatwork OAuth)

## List
conn-list-title = Connections
conn-list-intro = The chat tools notifications are sent through. Besides the office's own connections, this lists those that clients and members made with their own accounts.
conn-list-connected = Connected tools
conn-list-empty = No tool is connected yet. Pick one to connect below.
conn-col-room = Room
conn-list-warnings = { $count ->
    [one] One warning
   *[other] { $count } warnings
}
conn-list-connect = Connect a tool
conn-list-connect-hint = When you connect, renkei asks the tool whether what you entered works before saving it.
conn-connect-tool = Connect { $tool }
conn-oauth-link = Link with OAuth
conn-back-to-list = Back to connections
conn-back-to-connection = Back to the connection
conn-room-my-chat = My Chat (room { $room })
conn-room-webhook = The channel the webhook was made for
conn-room-line = Each member who added the account as a friend
conn-room-none = Not set (group and client rooms only)
conn-room-id = Room { $room }
conn-not-found-title = Connection not found
conn-not-found-body = This connection does not exist or was disconnected.
conn-failed-title = That did not work

## Tools
conn-intro-chatwork = Sends to My Chat or a room you choose, with an API token. You can also link by OAuth.
conn-intro-slack = Sends to Slack channels, with an incoming webhook or a bot token.
conn-intro-teams = Sends to a Microsoft Teams channel, with a Workflows webhook.
conn-intro-google_chat = Sends to a Google Chat space, with a webhook.
conn-intro-line_works = Sends to members and talk rooms, with a bot (API 2.0).
conn-intro-line = Sends to members who added your LINE Official Account (Messaging API) as a friend.

## Connect form
conn-new-title = Connect { $tool }
conn-steps-title = How to set it up
conn-open-provider = Open { $tool }'s settings (new tab)
conn-form-title = Connection details
conn-verify-note = "Connect" checks with the tool that these details work, then saves them. Tokens and other secrets are never shown again, only their last 4 characters.
conn-connect-button = Connect
conn-cancel = Cancel
conn-optional = (optional)
conn-required = Enter the { $field }.
conn-slack-one-of = Enter either a webhook URL or a bot token, not both.
conn-owner-legend = Who this connection belongs to
conn-owner-hint = Choose "The office" for the connection the office's notifications use. Choose a client or member when they receive notifications with their own account.
conn-owner-tenant = The office
conn-owner-client = A client
conn-owner-member = A member
conn-label-owner-id = Client or member external ID
conn-owner-id-hint = For a client or member: their ID in your business system (external ID).
conn-owner-id-missing-client = Enter the client's external ID.
conn-owner-id-missing-member = Enter the member's external ID.
conn-line-callback = LINE Login callback URL
conn-line-callback-hint = Register this URL in your LINE Login channel: LINE Login tab → Callback URL.

## Field names
conn-label-api_token = API token
conn-label-webhook_url = Webhook URL
conn-label-bot_token = Bot token
conn-label-client_id = Client ID
conn-label-client_secret = Client secret
conn-label-service_account = Service account
conn-label-private_key = Private key
conn-label-bot_id = Bot ID
conn-label-bot_secret = Bot secret
conn-label-channel_access_token = Channel access token (long-lived)
conn-label-channel_secret = Channel secret
conn-label-login_channel_id = LINE Login channel ID
conn-label-login_channel_secret = LINE Login channel secret
conn-label-room = Room

## Chatwork
conn-steps-chatwork-1 = Sign in to Chatwork with the account that will post the notifications. A notification-only account is best (see the note below).
conn-steps-chatwork-2 = Click your name at the top right and open "Service integration" (サービス連携).
conn-steps-chatwork-3 = Choose "API Token" on the left, enter your password and click "Show".
conn-steps-chatwork-4 = Copy the API token and paste it into "API token" below.
conn-steps-chatwork-5 = To post into a room instead of My Chat, open the room and paste the address from your browser (e.g. https://www.chatwork.com/#!rid123456789) into "Room". The room ID is the number after "#!rid". Add the posting account to that room first.
conn-note-chatwork-1 = Note: with a token of your own account, Chatwork shows no unread badge for mentions of yourself. Make a notification-only account, use its token, and add the people it notifies as its contacts: their mentions then show a badge.
conn-note-chatwork-2 = Without a room, notifications go to the token owner's My Chat.
conn-hint-chatwork-api_token = The letters and digits shown under Service integration → API Token. Copy all of it.
conn-hint-chatwork-room = A room ID (digits), the room's address (the digits after #!rid) or a message link. Leave empty for My Chat.

## Slack
conn-steps-slack-1 = Decide which channel gets the notifications.
conn-steps-slack-2 = With an incoming webhook: create an app in Slack's app settings, turn on "Incoming Webhooks", click "Add New Webhook to Workspace" and pick the channel. Copy the webhook URL (https://hooks.slack.com/services/…).
conn-steps-slack-3 = With a bot token: under "OAuth & Permissions" add the chat:write bot scope, install the app to the workspace and copy the Bot User OAuth Token (xoxb-…). Invite the bot to the channel and enter the channel under "Room".
conn-steps-slack-4 = Paste either the webhook URL or the bot token.
conn-note-slack-1 = To mention or message members, store each member's Slack member ID: open their profile in Slack and choose "⋮ (More) → Copy member ID".
conn-note-slack-2 = A webhook always posts into its own channel. Make one webhook per channel, or use a bot token.
conn-hint-slack-webhook_url = Starts with https://hooks.slack.com/services/. Not shown again after saving.
conn-hint-slack-bot_token = Starts with xoxb- (needs the chat:write scope). Not shown again after saving.
conn-hint-slack-room = Where a bot token posts: a channel ID (starts with C) or the channel's link. Leave empty for a webhook.

## Microsoft Teams
conn-steps-teams-1 = In Microsoft Teams, open the "…" (more options) menu of the channel and choose "Workflows".
conn-steps-teams-2 = Pick the template "Post to a channel when a webhook request is received", name it and create it.
conn-steps-teams-3 = Copy the URL shown at the end and paste it into "Webhook URL" below.
conn-note-teams-1 = URLs of the old "Connectors → Incoming Webhook" (Office 365 connectors) no longer work: Microsoft retired them. Create a workflow instead.
conn-note-teams-2 = To mention members, store each member's Teams user (UPN or object ID).
conn-hint-teams-webhook_url = The long URL the workflow shows (on logic.azure.com or powerplatform.com), pasted whole. Not shown again after saving.

## Google Chat
conn-steps-google_chat-1 = Open Google Chat with a Google Workspace account and open the space (personal Gmail accounts cannot do this).
conn-steps-google_chat-2 = Open the ▼ next to the space's name, then "Apps & integrations" → "Manage webhooks".
conn-steps-google_chat-3 = Name the webhook, save, and copy the URL.
conn-steps-google_chat-4 = Paste it into "Webhook URL" below.
conn-note-google_chat-1 = The URL carries a key and a token. Paste all of it.
conn-hint-google_chat-webhook_url = Starts with https://chat.googleapis.com/v1/spaces/. Not shown again after saving.

## LINE WORKS
conn-steps-line_works-1 = Sign in to the LINE WORKS Developer Console as an administrator.
conn-steps-line_works-2 = Create an API 2.0 app and add bot to its OAuth Scopes (and calendar, for the absence calendar). Copy the app's Client ID and Client Secret.
conn-steps-line_works-3 = Under the app's "Service Account", click "Issue" and copy the service account (xxxxx.serviceaccount@domain). Then issue a "Private Key", download the .key file, open it in a text editor and copy all of it.
conn-steps-line_works-4 = Register a bot under "Bot" (or pick one) and copy its Bot ID. Publish the bot in the admin screen so members can use it.
conn-steps-line_works-5 = Enter the values below.
conn-note-line_works-1 = Members receive notifications once their LINE WORKS user ID is stored. Using the same IDs as your business system keeps this simple.
conn-hint-line_works-client_id = The Client ID of the API 2.0 app in the Developer Console.
conn-hint-line_works-client_secret = The same app's Client Secret. Not shown again after saving.
conn-hint-line_works-service_account = Looks like xxxxx.serviceaccount@domain.
conn-hint-line_works-private_key = The whole content of the downloaded .key file, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----. Not shown again after saving.
conn-hint-line_works-bot_id = The numeric ID shown under "Bot" in the Developer Console.
conn-hint-line_works-bot_secret = Only needed for callbacks from LINE WORKS to renkei: the bot's Bot Secret.
conn-hint-line_works-room = A channel ID to post room notifications into. When empty, room notifications go only to channels set for groups and clients.
conn-lw-mapping-title = Older manuals (API 1.0) and this form
conn-lw-mapping-intro = Older manuals use API 1.0 names. API 2.0 replaced them as follows; API 1.0 values cannot be used.
conn-lw-mapping-old = API 1.0
conn-lw-mapping-new = API 2.0 (this form)
conn-lw-old-1 = API ID
conn-lw-new-1 = Abolished. The app's Client ID and Client Secret take its place.
conn-lw-old-2 = Server API Consumer Key
conn-lw-new-2 = Abolished. Nothing to enter.
conn-lw-old-3 = Server List ID
conn-lw-new-3 = Service account
conn-lw-old-4 = Server List private key (server authentication key)
conn-lw-new-4 = Private key (of the service account)
conn-lw-old-5 = Bot ID
conn-lw-new-5 = Bot ID (unchanged)
conn-lw-old-6 = Domain ID, administrator email
conn-lw-new-6 = Nothing to enter.

## LINE
conn-steps-line-1 = Sign in to the LINE Developers Console and create (or pick) a provider.
conn-steps-line-2 = Create a Messaging API channel ("Create a new channel").
conn-steps-line-3 = On the channel's "Basic settings" tab, copy the channel secret.
conn-steps-line-4 = At the bottom of the "Messaging API" tab, issue a "Channel access token (long-lived)" and copy it.
conn-steps-line-5 = For members to link with LINE Login, create a LINE Login channel under the same provider and enter its channel ID and secret too. Register the callback URL below in that channel.
conn-note-line-1 = Members receive LINE notifications once they add the official account as a friend. After connecting, this connection's page shows the friend link and QR code.
conn-note-line-2 = LINE has no rooms to choose: messages go to each member who added the account.
conn-hint-line-channel_access_token = "Channel access token (long-lived)" on the Messaging API tab. Not shown again after saving.
conn-hint-line-channel_secret = The 32-character channel secret on the "Basic settings" tab.
conn-hint-line-login_channel_id = The numeric channel ID on the LINE Login channel's "Basic settings" (for members to link).
conn-hint-line-login_channel_secret = The LINE Login channel's 32-character channel secret.

## Refusals ($detail is what the tool or the API said)
conn-err-chatwork_invalid_token = Chatwork refused this API token. Copy it again from Service integration → API Token and check nothing was cut off.
conn-err-chatwork_unreachable = Could not reach Chatwork. Try again in a moment. ({ $detail })
conn-err-chatwork_error = Chatwork answered unexpectedly. Try again in a moment. ({ $detail })
conn-err-invalid_credentials = Check what you entered: { $detail }
conn-err-invalid_webhook_url = This webhook URL cannot be used: { $detail }
conn-err-slack_webhook_invalid = Slack says this webhook does not work (it was removed, its app uninstalled, or its channel archived). Create a new webhook and paste it.
conn-err-slack_invalid_token = This Slack token cannot be used. Paste a Bot User OAuth Token starting with xoxb-. ({ $detail })
conn-err-slack_missing_scope = This bot token lacks the chat:write scope. Add it under OAuth & Permissions → Bot Token Scopes, reinstall the app and paste the new token.
conn-err-teams_connector_retired = This is a retired Office 365 connector (Incoming Webhook) URL. In the channel, create the workflow "Post to a channel when a webhook request is received" and paste its URL.
conn-err-line_works_invalid_private_key = This private key cannot sign. Paste the whole .key file downloaded for the service account in the Developer Console.
conn-err-line_works_invalid_credentials = LINE WORKS refused these credentials. Check that the Client ID and Client Secret belong to one API 2.0 app and that the private key was issued for that app's service account. ({ $detail })
conn-err-line_works_scope_missing = The app may not use the bot scope. Add bot under OAuth Scopes in the Developer Console.
conn-err-line_works_unknown_bot = There is no bot with this Bot ID. Copy it from "Bot" in the Developer Console and check the bot is in the app's domain.
conn-err-line_works_bot_access_denied = The app may not use this bot. Give the app the bot scope in the Developer Console.
conn-err-line_invalid_token = LINE refused this channel access token. Issue (or reissue) the long-lived token on the Messaging API tab and paste all of it.
conn-err-invalid_room = This room cannot be used: { $detail }
conn-err-room_not_allowed = A webhook only posts into the channel it was made for, so it takes no room. Make one webhook per channel.
conn-err-unknown_client = No client has this external ID. Check the ID, or add the client first.
conn-err-unknown_member = No member has this external ID. Check the ID, or add the member first.
conn-err-provider_unavailable = { $tool } is not enabled on this renkei server. Ask the server's administrator.
conn-err-invalid_secret = This secret cannot be used: { $detail }
conn-err-invalid_oauth_client = Copy both the client ID and the client secret from Chatwork's OAuth client settings.
conn-err-unreachable = Could not check with { $tool }. Try again in a moment. ({ $detail })

## Done messages
flash-conn-connected = Connected. Notifications now go through this connection.
flash-conn-switched-on = Switched on.
flash-conn-switched-off = Switched off. Nothing is sent through this connection until it is switched on again.
flash-conn-room-saved = Room saved.
flash-conn-inbound-saved = Webhook secret saved.
flash-conn-disconnected = Disconnected.
flash-conn-oauth-client-saved = OAuth client saved. Now press "Link with Chatwork".
flash-conn-oauth-linked = Chatwork is linked.

## A connection's page
conn-detail-title = { $tool } connection
conn-detail-summary = Details
conn-reconnect = Connect again (with a new token or URL)
conn-detail-kind = Kind
conn-kind-token = API token
conn-kind-oauth = OAuth link
conn-kind-webhook = Webhook
conn-kind-bot = Bot
conn-detail-account-id = account ID { $id }
conn-detail-my-chat = My Chat
conn-detail-secret = Credential
conn-detail-secret-hint = (last 4 characters only)
conn-detail-created = Connected on
conn-detail-pending = Waiting to be sent
conn-count = { $count }
conn-detail-warnings = Warnings
conn-switch-title = On or off
conn-switch-on-now = This connection is in use. Switching it off stops sending but keeps its credentials.
conn-switch-off-now = This connection is off. Notifications are routed without it.
conn-switch-off = Switch off
conn-switch-on = Switch on
conn-room-title = Where it posts
conn-room-empty-hint = Save it empty to go back to the default place.
conn-room-save = Save room
conn-rooms-pick = Pick from the room list
conn-copy = Copy
conn-copied = Copied
conn-inbound-title = Incoming webhook (from the tool to renkei)
conn-inbound-intro-chatwork = With a Chatwork webhook, renkei receives posts and mentions in rooms. Create one under Service integration → Webhook, paste the URL below as its webhook URL, then save the token Chatwork shows here.
conn-inbound-intro-slack = To receive requests from your Slack app, paste the URL below as the app's Request URL and save the Signing Secret from "Basic Information" here.
conn-inbound-intro-line_works = To receive the bot's callbacks, paste the URL below as the Callback URL in the bot's settings in the Developer Console and save the Bot Secret here.
conn-inbound-intro-line = To receive follows and blocks, paste the URL below as the Webhook URL on the Messaging API tab and turn "Use webhook" on. The channel secret verifies the signatures.
conn-inbound-refused-broken = This connection is broken, so requests from the tool are refused too. Connect it again.
conn-inbound-refused-no-secret-chatwork = Save the webhook token to accept them.
conn-inbound-refused-no-secret-slack = Save the signing secret to accept them.
conn-inbound-refused-no-secret-line_works = Save the bot secret to accept them.
conn-inbound-refused-no-secret-line = Save the channel secret to accept them.
conn-inbound-url = URL to register with the tool
conn-inbound-accepting = Accepting
conn-inbound-refusing = Not accepting
conn-inbound-secret-chatwork = Webhook token
conn-inbound-secret-slack = Signing secret
conn-inbound-secret-line_works = Bot secret
conn-inbound-secret-line = Channel secret
conn-inbound-where-chatwork = The token shown in the Chatwork webhook's settings.
conn-inbound-where-slack = Your app's Basic Information → App Credentials → Signing Secret.
conn-inbound-where-line_works = The Bot Secret in the bot's settings in the Developer Console.
conn-inbound-where-line = The 32-character channel secret on the "Basic settings" tab.
conn-inbound-secret-set = Saved ({ $hint }). Enter it only to change it.
conn-inbound-secret-unset = Not saved yet.
conn-inbound-secret-missing = Enter the secret.
conn-inbound-save = Save secret
conn-friend-title = Add as a friend
conn-friend-intro = Members who add the official account with this link or QR code receive notifications on LINE.
conn-friend-qr = QR code of the friend link
conn-followers-title = Friends (LINE users)
conn-followers-empty = No friends recorded yet (this needs the incoming webhook).
conn-followers-user = LINE user ID
conn-followers-member = Member
conn-followers-unlinked = Not linked
conn-followers-following = Friend
conn-followers-left = Blocked or removed
conn-disconnect-title = Disconnect
conn-disconnect-intro = Disconnecting deletes the credentials and stops sending through this connection at once. You will see what stops before confirming.
conn-disconnect-button = Disconnect…

## Confirming a disconnect
conn-delete-title = Disconnect { $tool }
conn-delete-which = Connection: { $what }
conn-delete-stops-title = What happens
conn-delete-stops-now = Nothing more is sent through this connection, starting now.
conn-delete-pending = { $count ->
    [0] No notification is waiting to be sent through it.
    [one] The one notification waiting to be sent is cancelled (the delivery log shows it as cancelled, with the reason).
   *[other] The { $count } notifications waiting to be sent are cancelled (the delivery log shows them as cancelled, with the reason).
}
conn-delete-credentials = The stored credentials (API token and so on) are deleted for good. To use the tool again, connect it again.
conn-delete-history = The delivery log is kept. Other tools' connections are not affected.
conn-delete-instead = To stop it only for a while, use "Switch off" on the connection's page: it keeps the credentials.
conn-delete-confirm = Disconnect

## Room list (Chatwork)
conn-rooms-title = Rooms
conn-rooms-intro = The rooms this connection's account is in (Chatwork lists at most 100). Press "Send here" on the room that should get the notifications.
conn-rooms-empty = The account is in no room.
conn-rooms-filter = Filter by room name
conn-rooms-name = Room name
conn-rooms-id = Room ID
conn-rooms-action = Action
conn-rooms-current = Current room
conn-rooms-use = Send here

## Chatwork OAuth
conn-oauth-title = Link Chatwork by OAuth
conn-oauth-intro = Instead of pasting an API token, allow renkei on Chatwork's consent page. First create an OAuth client in Chatwork and register it here.
conn-oauth-steps-1 = (Optional) Prepare a Chatwork account for notifications and do the next steps with it. Otherwise notifications arrive as posts of whoever sets this up, mixed into their everyday messages.
conn-oauth-steps-2 = Check that the people to notify are contacts of that account (members are linked to accounts from its contacts).
conn-oauth-steps-3 = In Chatwork, open Service integration → OAuth, create a client and fill it in as shown under "What to enter in Chatwork".
conn-oauth-steps-4 = Paste the client ID and client secret Chatwork shows into the form below and press "Save".
conn-oauth-steps-5 = Press "Link with Chatwork": Chatwork's page opens. Click "Allow" and you come back here. If the client ID is wrong, Chatwork shows an error page: go back with the browser and register the right ID.
conn-oauth-values-title = What to enter in Chatwork
conn-oauth-client-name = Client name
conn-oauth-client-name-value = Anything (e.g. Notifications)
conn-oauth-client-type = Client type
conn-oauth-redirect = Redirect URL
conn-oauth-https = Chatwork needs an https redirect URL. Set renkei's public URL (RENKEI_PUBLIC_URL) to an https address.
conn-oauth-scopes = Scopes
conn-oauth-scope-label = shown in Chatwork as "{ $label }"
conn-scope-offline_access = 永続的なAPIアクセスの許可 (lasting API access)
conn-scope-users-profile-me-read = 自分のアカウントに紐づく情報の取得 (read your own profile)
conn-scope-rooms-all-read_write = チャットルームに紐づくメッセージ・タスク・ファイル・概要・メンバー情報の操作/取得 (read and write rooms)
conn-scope-contacts-all-read_write = 自分のコンタクト、及びコンタクト承認依頼情報の取得/操作 (read and manage contacts)
conn-oauth-client-title = OAuth client
conn-oauth-registered = Registered: client ID { $id }, secret
conn-oauth-client-id-hint = The client ID Chatwork shows at the bottom of the page after creating the client.
conn-oauth-client-secret-hint = The client secret from the same page. Only its last 4 characters are shown after saving; enter it again to register anew.
conn-oauth-scopes-hint = Leave empty for the scopes above (what renkei needs). To change them, enter them separated by spaces.
conn-oauth-save = Save
conn-oauth-link-title = Link with Chatwork
conn-oauth-link-intro = The button takes you to Chatwork's consent page. Sign in with the account to link and click "Allow".
conn-oauth-link-button = Link with Chatwork
