# Route preview
preview-title = Route preview
preview-intro = Enter recipients, an event type and a message to see where the notice would go, why, and how each tool would show it, before anything is sent. Nothing is sent from this page.
preview-form = Notice to check
preview-targets = Recipients
preview-targets-hint = Give at least one. IDs are your business system's IDs; separate several with commas or new lines.
preview-tenant = The whole office (the office's connections)
preview-clients = Client IDs
preview-clients-hint = e.g. acme, yamada-shoten
preview-groups = Group IDs
preview-groups-hint = Room delivery goes to the group's room (else the nearest parent's); direct delivery to each member.
preview-members = Member IDs
preview-members-hint = e.g. yamada, sato
preview-subgroups = For direct delivery, include members of sub-groups
preview-event-type = Event type (key)
preview-event-type-hint = Pick a known type or type a key. Unknown keys are delivered to rooms.
preview-delivery = Delivery
preview-delivery-hint = Only to deliver this notice differently from its event type.
preview-delivery-type = As the event type says
preview-message-title = Title
preview-message-body = Message
preview-url = Link (optional)
preview-url-hint = A URL of your system to put in the notice (http or https).
preview-run = Preview the route
preview-nothing-sent = Only checks; nothing is sent.
preview-sample-title = Route check
preview-result = Result
preview-would-send = { $count ->
    [0] Nothing would be sent.
    [one] It would be sent to 1 place.
   *[other] It would be sent to { $count } places.
}
preview-would-skip = { $count ->
    [one] 1 recipient would get nothing (see the table below).
   *[other] { $count } recipients would get nothing (see the table below).
}
preview-link-expires = Confirmation link expires: { $time } (the link shown here is a sample; opening it confirms nothing)
preview-for = For
preview-connection = Connection
preview-connection-n = Connection #{ $id }
preview-mentions = Mentions
preview-why = Why it goes here
preview-warnings = Warnings
preview-as-shown = As { $tool } shows it
preview-json = (the JSON sent)
preview-skipped = Recipients that would get nothing
preview-skip-reason = Reason
preview-target-tenant = The whole office
preview-target-client = Client { $id }
preview-target-group = Group { $id }
preview-target-member = Member { $id }
preview-dest-room = Room { $room }
preview-dest-direct = Direct (account { $account })
preview-skip-no_connection = No connection can send it.
preview-skip-no_destination = No room to post to (no room and no My Chat).
preview-skip-no_group = The member is in no group, so has no room.
preview-skip-no_identity = The member has no account for this tool yet.
preview-skip-no_members = The group has no members.
preview-skip-unknown_client = No client has this ID.
preview-skip-unknown_group = No group has this ID.
preview-skip-unknown_member = No member has this ID.
preview-skip-preference_off = This type of notice is switched off for this tool.
preview-skip-connection_switched_off = The connection is switched off.
preview-err-no_targets = Give at least one recipient (the whole office, a client, a group or a member).
preview-err-invalid_type = Enter an event type key (one line, at most 255 characters).
preview-err-invalid_title = Enter a title (at most 1,000 characters).
preview-err-invalid_url = Enter a link starting with http:// or https://.
preview-err-invalid_delivery = Choose a delivery from the list.
preview-err-too_many_recipients = Too many recipients. Check them in parts, e.g. one group at a time.
