# Clients, groups and members (Cells Drive levels 3 and 4, ACALL group ROOM IDs, HiManager contacts, the Chatwork user-list import)
dir-ext = ID
dir-save = Save
dir-cancel = Cancel
dir-back = Back
dir-add-button = Add
dir-search = Search
dir-search-button = Search
dir-search-none = Nothing matches.
dir-pager = Pages
dir-first-page = First page
dir-next-page = Next 50
dir-members-count = { $count ->
    [one] 1 member
   *[other] { $count } members
}
dir-col-members = Members
dir-col-room = { $tool } room
dir-not-found-title = Not found
dir-delete-section = Delete
dir-delete-title = Delete “{ $name }”?
dir-delete-what-happens = Deleting it does the following. It cannot be undone.
dir-delete-button = Delete
dir-delete-history-stays = Notifications already sent or failed stay in the delivery log as they are.
dir-tool-connected = The office's { $tool } connection posts into this room.
dir-tool-not-connected = { $tool } is not connected yet; once it is, it posts into this room.
dir-room-label = { $tool } room
dir-room-id = Room { $room }
dir-room-unset = Not set
dir-rooms = Rooms for notifications
dir-rooms-hint = Per tool, the room notifications go to. Paste what you copied as it is; leave a field empty to clear it.
dir-room-hint-chatwork = A room ID (123), #!rid123, the room's URL (https://www.chatwork.com/#!rid123) or a message link: copy it from the address bar with the room open.
dir-room-hint-slack = The channel ID (C0123ABCD) or the channel's link (channel name → Copy link).
dir-room-hint-line_works = The channel ID shown in the talk room's menu.
dir-err-room-chatwork = “{ $value }” is not a Chatwork room. Paste a room ID (123), #!rid123 or the room's URL (https://www.chatwork.com/#!rid123).
dir-err-room-slack = “{ $value }” is not a Slack channel. Paste the channel ID (C0123ABCD) or the channel's link.
dir-err-room-line_works = “{ $value }” is not a LINE WORKS channel ID. Copy the channel ID from the talk room's menu (letters, digits and - only).
dir-err-invalid_room = That room cannot be read. Paste a room ID or the room's URL.
dir-err-invalid_external_id = Enter an ID (one line, up to 255 characters).
dir-err-invalid_name = Enter a name (one line, up to 255 characters).
dir-err-invalid_email = That is not an e-mail address (e.g. yamada@example.com).
dir-err-unknown_client = There is no client with this ID. Add the client first.
dir-err-unknown_group = There is no group with this ID. Add the group first.
dir-err-group_cycle = The group you chose is inside this group, so it cannot be its parent (the groups would form a loop). Choose another group.
dir-err-unknown_provider = That tool is not supported.
dir-err-invalid_account_id = That is not a Chatwork account ID. Paste 123, aid=123 or [To:123] Name.
dir-err-invalid_identity = That account ID cannot be read; check the example under the field.
dir-err-client-taken = A client with the ID “{ $id }” exists already; open it from the list.
dir-err-group-taken = A group with the ID “{ $id }” exists already; open it from the list.
dir-err-member-taken = A member with the ID “{ $id }” exists already; open it from the list.
flash-dir-saved = Saved.
flash-dir-client-created = Client added. Now set the rooms its notifications go to.
flash-dir-group-created = Group added. Now set the rooms its notifications go to.
flash-dir-member-created = Member added. Now set their accounts in each tool.
flash-dir-groups-saved = Groups updated.

# Clients
dir-clients-title = Clients
dir-clients-intro = Each client can have its own room for notifications (Cells Drive level 3). A client that connected its own Chatwork account gets them through that connection instead (level 4).
dir-clients-list = Clients
dir-clients-search-hint = Part of the client's name or ID.
dir-clients-empty = No clients yet. Add one below, or from your system through the API.
dir-col-client = Client
dir-conn-label = { $tool } ({ $state })
dir-col-own-connection = Own connection
dir-own-connection-none = None (the office's connection posts)
dir-own-connection = The client's own connection
dir-own-connection-intro = When the client sets its own Chatwork API token, notifications go through that connection to the client's My Chat (or to its room, when one is set), not through the office's.
dir-own-connection-none-long = This client has no connection of its own: the office's connection posts into the rooms above.
dir-own-connection-add = Connect this client's Chatwork
dir-own-connection-add-hint = On the connection form, choose "A client" as who it belongs to and enter the ID “{ $id }”. It needs an API token of the client's own Chatwork account.
dir-client-add = Add a client
dir-client-ext-hint = The ID your system knows the client by (e.g. client-0042). It cannot be changed later.
dir-client-name = Client name
dir-client-title = Client “{ $name }”
dir-client-settings = Client settings
dir-clients-back = Back to the clients
dir-client-delete = Delete this client…
dir-client-not-found = This client does not exist or was deleted. Choose one from the list.
dir-delete-client-pending = Notifications for this client still waiting to be sent are cancelled.
dir-delete-client-connections = The client's own connections ({ $list }) are deleted too, and their waiting notifications cancelled.
dir-delete-client-members = { $count ->
    [one] Its 1 member stays, without a client.
   *[other] Its { $count } members stay, without a client.
}
dir-deleted-client = Client “{ $name }” deleted. Pending notifications cancelled: { $cancelled }; connections of its own deleted: { $connections }; members left without a client: { $detached }.

# Groups
dir-groups-title = Groups
dir-groups-intro = Each group can have its own room. A notification for a group goes to:
dir-groups-rule-own = the group's room, when it has one;
dir-groups-rule-parent = else the room of the nearest parent group that has one;
dir-groups-rule-default = else the default room of the office's connection (its My Chat unless set).
dir-groups-tree = The group tree
dir-groups-empty = No groups yet. Add one below, or from your system through the API.
dir-group-add = Add a group
dir-group-ext-hint = The ID your system knows the group by (e.g. dev-1). It cannot be changed later.
dir-group-name = Group name
dir-parent = Parent group
dir-parent-none = None (a top-level group)
dir-parent-hint = A group without a room of its own posts into its parent's room.
dir-group-title = Group “{ $name }”
dir-group-settings = Group settings
dir-groups-back = Back to the groups
dir-children = Sub-groups
dir-group-delete = Delete this group…
dir-group-not-found = This group does not exist or was deleted. Choose one from the list.
dir-effective-now = Posts go to:
dir-effective-own = room { $room } (this group's own)
dir-effective-inherited = room { $room } (inherited from { $from })
dir-effective-default = default room { $room } (the office connection's)
dir-effective-default-unknown = the default room (the office connection's)
dir-effective-webhook = the webhook's own channel (a webhook posts only there)
dir-effective-none = nowhere (no room here or above, and the { $tool } connection has no room of its own)
dir-effective-not-connected = nowhere ({ $tool } is not connected)
dir-effective-unposted = — but { $tool } is not connected, so nothing is posted yet.
dir-delete-group-pending = Notifications for this group still waiting to be sent are cancelled.
dir-delete-group-members = { $count ->
    [one] Its 1 member stays, in their other groups.
   *[other] Its { $count } members stay, in their other groups.
}
dir-delete-group-children = It has sub-groups ({ $list }), so it cannot be deleted. Delete them first, or give them another parent.
dir-deleted-group = Group “{ $name }” deleted. Pending notifications cancelled: { $cancelled }; members taken out of it: { $detached }.

# Members
dir-members-title = Members
dir-members-intro = The people who receive notifications, and their accounts in each tool.
dir-members-list = Members
dir-members-search = Name, e-mail or ID
dir-filter-group = Group
dir-filter-client = Client
dir-filter-missing = Missing account
dir-filter-missing-tool = No { $tool } account
dir-filter-any = Any
dir-filter-button = Filter
dir-filter-clear = Clear
dir-members-empty = No members yet. Add one below, or from your system through the API.
dir-col-member = Member
dir-col-email = E-mail
dir-col-groups = Groups
dir-col-identities = Accounts
dir-primary = primary
dir-identities-none = None
dir-warnings-count = { $count ->
    [one] 1 warning
   *[other] { $count } warnings
}
dir-member-add = Add a member
dir-member-ext-hint = The ID your system knows the person by (e.g. yamada). It cannot be changed later.
dir-member-name = Name
dir-email = E-mail
dir-email-hint = Optional. The Chatwork user-list import matches members by e-mail.
dir-member-title = Member “{ $name }”
dir-member-settings = Member settings
dir-members-back = Back to the members
dir-member-back = Back to the member
dir-member-client-hint = The client this person belongs to; none for the office's own staff.
dir-client-none = None
dir-identities = Accounts in each tool
dir-identities-hint = Used for mentions and direct notifications. Paste what you copied as it is; leave a field empty to clear it.
dir-identity-label-chatwork = Chatwork account ID
dir-identity-label-slack = Slack member ID
dir-identity-label-teams = Microsoft Teams user
dir-identity-label-google_chat = Google Chat user ID
dir-identity-label-line_works = LINE WORKS user ID
dir-identity-label-line = LINE user ID
dir-identity-hint-chatwork = The account ID (123), aid=123 from a quote, or [To:123] Name from the To button.
dir-identity-hint-slack = The ID starting with U from the profile's ⋮ → Copy member ID (e.g. U0123ABCD).
dir-identity-hint-teams = The sign-in address (UPN) or the Entra ID object ID.
dir-identity-hint-google_chat = users/ followed by the numeric user ID (e.g. users/123456789), or just the number.
dir-identity-hint-line_works = The member's user ID, or their login ID (name@domain).
dir-identity-hint-line = People usually link LINE themselves through their link page. Enter the ID (U and 32 hex digits) only if you know it.
dir-err-identity-chatwork = “{ $value }” is not a Chatwork account ID. Paste 123, aid=123 or [To:123] Name.
dir-err-identity-slack = “{ $value }” is not a Slack member ID. Paste the ID from the profile's Copy member ID, like U0123ABCD.
dir-err-identity-teams = “{ $value }” is not a Teams user. Enter the sign-in address or the object ID (a GUID).
dir-err-identity-google_chat = “{ $value }” is not a Google Chat user ID. Enter users/123456789 or just the number.
dir-err-identity-line_works = “{ $value }” is not a LINE WORKS user ID. Enter the user ID or the login ID (name@domain).
dir-err-identity-line = “{ $value }” is not a LINE user ID (U and 32 hex digits). Having the person link LINE through their page is surer.
dir-contacts-link = Pick from Chatwork contacts
dir-warnings = Needs attention
dir-warning-fix = Check
dir-warn-self-mention = This member's Chatwork account is the one the office's connection ({ $account }) posts as. Chatwork shows no badge for a mention of yourself, so they may miss notifications. Connect with a notification-only account instead.
dir-warn-missing-identity = No { $tool } account is set, so { $tool } cannot mention this member or message them directly.
dir-member-groups = Groups
dir-member-groups-hint = The first group is the primary one. Change the order with Up and Down.
dir-member-groups-none = Not in any group.
dir-group-up = Up
dir-group-down = Down
dir-group-remove = Remove
dir-group-up-label = Move { $name } up
dir-group-down-label = Move { $name } down
dir-group-remove-label = Remove from { $name }
dir-group-add-to = Add to a group
dir-group-add-button = Add
dir-member-delete = Delete this member…
dir-member-not-found = This member does not exist or was deleted. Choose one from the list.
dir-delete-member-pending = Notifications for this member still waiting to be sent are cancelled.
dir-delete-member-connections = { $count ->
    [one] Their own connection is deleted too, and its waiting notifications cancelled.
   *[other] Their { $count } own connections are deleted too, and their waiting notifications cancelled.
}
dir-delete-member-memberships = Their group memberships and notification choices are deleted.
dir-delete-member-absences = They have absences in a LINE WORKS calendar, so they cannot be deleted. Delete those absences first (which removes them from the calendar).
dir-deleted-member = Member “{ $name }” deleted. Pending notifications cancelled: { $cancelled }; connections of their own deleted: { $connections }.

# Picking from Chatwork contacts (HiManager)
dir-contacts-title = Chatwork account of “{ $name }”
dir-contacts-intro = Choose this member's Chatwork account among the contacts of the account the office's Chatwork connection uses. If they are not listed, add them as a contact in Chatwork first.
dir-contacts-no-connection = The office has no Chatwork connection, so there are no contacts to show.
dir-contacts-connect = Connect Chatwork
dir-contacts-connection = Connection
dir-contacts-show = Show contacts
dir-contacts-empty = This connection's account has no contacts yet. Add them in Chatwork, then open this page again.
dir-contacts-count = { $count ->
    [one] 1 contact
   *[other] { $count } contacts
}
dir-contacts-hint = Choose this member's account and press the button below.
dir-contacts-filter = Filter by name
dir-contacts-pick = Use this account
dir-contacts-pick-one = Choose one account.
dir-contacts-taken = set for { $name }
dir-account-id = account ID { $id }
dir-err-chatwork_invalid_token = Chatwork refused the connection's token. Reconnect it on the connection's page.
dir-err-chatwork_error = The contacts could not be fetched from Chatwork. Try again in a moment.

# Chatwork user-list (CSV) import
dir-import-link = Import account IDs from a Chatwork user list (CSV)
dir-import-title = Import a Chatwork user list
dir-import-how = Getting the file
dir-import-step-1 = In Chatwork, open Admin settings from your account menu (Business and Enterprise plan administrators).
dir-import-step-2 = Open User list, then CSV export → Export user information.
dir-import-step-3 = Upload the downloaded file below as it is. Its accountID (識別ID) column holds each user's account ID.
dir-import-matching = Each row is matched to the member with the same e-mail, else the same name (spaces ignored). Uploading changes nothing: the next page shows every row, and you apply from there.
dir-import-upload = Choose the file
dir-import-file = User list CSV file
dir-import-file-hint = The file exported from Chatwork (UTF-8 or Shift_JIS). If you edited it in Excel, save it as CSV UTF-8 or CSV (comma delimited).
dir-import-preview-button = Preview
dir-import-no-file = Choose a CSV file.
dir-import-too-large = The file is too large or could not be read (2 MB at most).
dir-err-csv_encoding = The file's text cannot be read. Export it again from Chatwork, or save it from Excel as CSV UTF-8 or CSV (comma delimited).
dir-err-csv_no_account_column = There is no account ID column: the header row needs accountID (識別ID in the Japanese export).
dir-err-csv_malformed = The file is not valid CSV. Upload the file exported from Chatwork as it is.
dir-err-csv_empty = The file is empty. Upload the user list exported from Chatwork's admin settings.
dir-import-preview-title = Check the import
dir-import-again = Choose another file
dir-import-summary = Summary
dir-import-count-new = { $count ->
    [one] New: 1 member
   *[other] New: { $count } members
}
dir-import-count-changed = { $count ->
    [one] Changed: 1 member
   *[other] Changed: { $count } members
}
dir-import-count-unchanged = { $count ->
    [one] Unchanged: 1 member
   *[other] Unchanged: { $count } members
}
dir-import-count-problem = { $count ->
    [one] Problems: 1 row
   *[other] Problems: { $count } rows
}
dir-import-encoding = File encoding: { $encoding }
dir-import-apply-note = { $count ->
    [one] The new and changed member gets the Chatwork account ID shown. Rows with problems are not imported.
   *[other] The { $count } new and changed members get the Chatwork account IDs shown. Rows with problems are not imported.
}
dir-import-apply = { $count ->
    [one] Apply to 1 member
   *[other] Apply to { $count } members
}
dir-import-nothing = No row can be applied. Fix the rows with problems and upload the file again.
dir-import-stale = The members changed since the preview, so nothing was imported yet. Check the new preview, then apply again.
dir-import-rows = Every row of the file
dir-import-col-line = Line
dir-import-col-result = Result
dir-import-col-row = In the file
dir-import-col-account = Chatwork account ID
dir-import-kind-new = New
dir-import-kind-changed = Changed
dir-import-kind-unchanged = Unchanged
dir-import-kind-problem = Problem
dir-import-problem-missing_account_id = The account ID cell is empty.
dir-import-problem-invalid_account_id = The account ID is not a number (Excel may have reformatted it).
dir-import-problem-duplicate_account_id = The same account ID is on several rows; keep only the right one.
dir-import-problem-ambiguous_email = Several members have this e-mail; give each their own.
dir-import-problem-no_member = No member matches; add the member or check the e-mail and name.
dir-import-problem-ambiguous_name = Several members have this name; add e-mails to the members or the file.
dir-import-problem-member_matched_twice = Several rows match the same member; keep only the right one.
dir-import-problem-account_taken = This account ID is set for another member already; remove it there first.
dir-import-done = { $linked ->
    [one] Chatwork account ID set for 1 member from the CSV.
   *[other] Chatwork account IDs set for { $linked } members from the CSV.
} { $problems ->
    [0] Every row was usable.
    [one] 1 row with a problem was not imported.
   *[other] { $problems } rows with problems were not imported.
}
