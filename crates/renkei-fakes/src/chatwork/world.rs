//! The fake's world: accounts, rooms, memberships, contacts and incoming contact
//! requests, and their JSON shapes as given by the RAML spec (`my_account_response`,
//! `room_list_response`, `account_list_response`, `room_member_list_response`,
//! `incoming_request_list_response`, `incoming_request_response`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{json, Value};

/// Where the fake allocates ids for My Chats and direct chats, far from ids a test picks.
const FIRST_GENERATED_ROOM_ID: i64 = 900_000_001;
/// Contact request ids live in their own range, so a client that mixes up a request id
/// with an account or room id gets a 404 instead of approving the wrong thing.
const FIRST_REQUEST_ID: i64 = 800_000_001;
const DEFAULT_AVATAR: &str = "https://appdata.chatwork.com/avatar/ico_default_blue.png";
const GROUP_ICON: &str = "https://appdata.chatwork.com/icon/ico_group.png";
/// Lists are capped at 100 items, with no paging (real Chatwork).
pub(crate) const LIST_CAP: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Admin,
    Member,
    Readonly,
}

impl Role {
    pub(crate) fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            "readonly" => Some(Role::Readonly),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Readonly => "readonly",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoomKind {
    My,
    Direct,
    Group,
}

impl RoomKind {
    fn as_str(self) -> &'static str {
        match self {
            RoomKind::My => "my",
            RoomKind::Direct => "direct",
            RoomKind::Group => "group",
        }
    }
}

struct Account {
    name: String,
    my_room: Option<i64>,
}

struct Room {
    name: String,
    kind: RoomKind,
    members: Vec<(i64, Role)>,
    created_at: i64,
}

/// A pending contact request: `from` asks `to` to become contacts.
struct IncomingRequest {
    to: i64,
    from: i64,
    message: String,
}

/// Why a contact request could not be answered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RequestAccess {
    /// No such pending request, or it is addressed to someone else (Chatwork does not
    /// reveal other people's requests, so both look the same).
    NotFound,
}

/// Why a room-scoped request was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RoomAccess {
    NotFound,
    NotMember,
}

/// Per-room numbers kept by the message store, shown in `GET /rooms`.
#[derive(Clone, Copy, Default)]
pub(crate) struct RoomStats {
    pub message_num: u64,
    pub last_update_time: i64,
}

#[derive(Default)]
pub(crate) struct World {
    accounts: HashMap<i64, Account>,
    rooms: HashMap<i64, Room>,
    /// account -> rooms it belongs to; ordered so `GET /rooms` is stable.
    rooms_of: HashMap<i64, BTreeSet<i64>>,
    /// account -> (contact account, direct room), in the order contacts were made.
    contacts: HashMap<i64, Vec<(i64, i64)>>,
    /// (lower account id, higher account id) -> their direct room. Outlives the contact,
    /// so two people who become contacts again get their old direct room (and history).
    direct_rooms: HashMap<(i64, i64), i64>,
    next_room_id: i64,
    /// Pending contact requests by id; ids grow, so this is also arrival order.
    requests: BTreeMap<i64, IncomingRequest>,
    next_request_id: i64,
}

impl World {
    /// Creates a placeholder person for ids used before being named, so world building
    /// never panics on order.
    fn ensure_person(&mut self, account_id: i64) {
        self.accounts.entry(account_id).or_insert_with(|| Account {
            name: format!("User {account_id}"),
            my_room: None,
        });
    }

    pub(crate) fn add_person(&mut self, account_id: i64, name: &str) {
        self.ensure_person(account_id);
        if let Some(a) = self.accounts.get_mut(&account_id) {
            a.name = name.to_owned();
        }
    }

    /// Adds (or renames) an account and gives it a My Chat; returns the My Chat's id.
    pub(crate) fn add_account(&mut self, account_id: i64, name: &str) -> i64 {
        self.add_person(account_id, name);
        if let Some(room) = self.accounts[&account_id].my_room {
            return room;
        }
        let room_id = self.alloc_room_id();
        self.put_room(
            room_id,
            "マイチャット",
            RoomKind::My,
            vec![(account_id, Role::Admin)],
        );
        if let Some(a) = self.accounts.get_mut(&account_id) {
            a.my_room = Some(room_id);
        }
        room_id
    }

    /// Makes sure the account exists with a My Chat (an OAuth consent needs no API token);
    /// returns the My Chat's id.
    pub(crate) fn ensure_account(&mut self, account_id: i64) -> i64 {
        self.ensure_person(account_id);
        let name = self.accounts[&account_id].name.clone();
        self.add_account(account_id, &name)
    }

    pub(crate) fn my_room(&self, account_id: i64) -> Option<i64> {
        self.accounts.get(&account_id).and_then(|a| a.my_room)
    }

    /// Creates or replaces a room and keeps the membership index in step.
    pub(crate) fn put_room(
        &mut self,
        room_id: i64,
        name: &str,
        kind: RoomKind,
        members: Vec<(i64, Role)>,
    ) {
        if let Some(old) = self.rooms.remove(&room_id) {
            for (account, _) in old.members {
                if let Some(set) = self.rooms_of.get_mut(&account) {
                    set.remove(&room_id);
                }
            }
        }
        for &(account, _) in &members {
            self.ensure_person(account);
            self.rooms_of.entry(account).or_default().insert(room_id);
        }
        let room = Room {
            name: name.to_owned(),
            kind,
            members,
            created_at: super::unix_secs(),
        };
        self.rooms.insert(room_id, room);
    }

    /// Returns the direct room between the two, creating contact and room if needed.
    /// Pending contact requests between the two are settled (dropped). Two people who
    /// were contacts before get their old direct room back, with both as members again.
    pub(crate) fn add_contact(&mut self, a: i64, b: i64) -> i64 {
        self.requests
            .retain(|_, r| !((r.to == a && r.from == b) || (r.to == b && r.from == a)));
        if let Some(&(_, room)) = self
            .contacts
            .get(&a)
            .and_then(|c| c.iter().find(|c| c.0 == b))
        {
            return room;
        }
        let key = (a.min(b), a.max(b));
        let old_room = self.direct_rooms.get(&key).copied().filter(|id| {
            self.rooms
                .get(id)
                .is_some_and(|r| r.kind == RoomKind::Direct)
        });
        let room_id = match old_room {
            Some(room_id) => {
                self.join(room_id, a, Role::Member);
                self.join(room_id, b, Role::Member);
                room_id
            }
            None => {
                let room_id = self.alloc_room_id();
                let members = vec![(a, Role::Member), (b, Role::Member)];
                // A direct chat has no name of its own: each side sees the other's name.
                self.put_room(room_id, "", RoomKind::Direct, members);
                self.direct_rooms.insert(key, room_id);
                room_id
            }
        };
        self.contacts.entry(a).or_default().push((b, room_id));
        self.contacts.entry(b).or_default().push((a, room_id));
        room_id
    }

    /// Ends the contact between the two (contacts are mutual, so both lists lose it).
    /// Their direct room stays, so its id answers 403 rather than 404, but both leave
    /// it: it drops out of both `GET /rooms`, and posts or member lists there are
    /// refused like any non-member's. No-op if they are not contacts.
    pub(crate) fn remove_contact(&mut self, a: i64, b: i64) {
        let mut room = None;
        for (me, other) in [(a, b), (b, a)] {
            if let Some(list) = self.contacts.get_mut(&me) {
                if let Some(i) = list.iter().position(|c| c.0 == other) {
                    room = Some(list.remove(i).1);
                }
            }
        }
        let Some(room_id) = room else {
            return;
        };
        for account in [a, b] {
            self.leave(room_id, account);
        }
    }

    /// Contact account ids of `account_id`, in the order the contacts were made.
    pub(crate) fn contacts_of(&self, account_id: i64) -> Vec<i64> {
        self.contacts
            .get(&account_id)
            .map_or_else(Vec::new, |l| l.iter().map(|c| c.0).collect())
    }

    /// Adds a member to an existing room (no-op if already in it).
    fn join(&mut self, room_id: i64, account_id: i64, role: Role) {
        let Some(room) = self.rooms.get_mut(&room_id) else {
            return;
        };
        if !room.members.iter().any(|m| m.0 == account_id) {
            room.members.push((account_id, role));
        }
        self.rooms_of.entry(account_id).or_default().insert(room_id);
    }

    fn leave(&mut self, room_id: i64, account_id: i64) {
        if let Some(room) = self.rooms.get_mut(&room_id) {
            room.members.retain(|m| m.0 != account_id);
        }
        if let Some(set) = self.rooms_of.get_mut(&account_id) {
            set.remove(&room_id);
        }
    }

    /// Records that `from` asks `to` to become contacts; returns the request id. One
    /// pending request per direction: asking again updates the message, keeps the id.
    pub(crate) fn add_incoming_request(&mut self, to: i64, from: i64, message: &str) -> i64 {
        self.ensure_person(to);
        self.ensure_person(from);
        if let Some((&id, r)) = self
            .requests
            .iter_mut()
            .find(|(_, r)| r.to == to && r.from == from)
        {
            message.clone_into(&mut r.message);
            return id;
        }
        if self.next_request_id == 0 {
            self.next_request_id = FIRST_REQUEST_ID;
        }
        let id = self.next_request_id;
        self.next_request_id += 1;
        let request = IncomingRequest {
            to,
            from,
            message: message.to_owned(),
        };
        self.requests.insert(id, request);
        id
    }

    /// Ids of the requests pending for `account_id`, oldest first.
    pub(crate) fn incoming_requests_of(&self, account_id: i64) -> Vec<i64> {
        self.requests
            .iter()
            .filter(|(_, r)| r.to == account_id)
            .map(|(&id, _)| id)
            .collect()
    }

    /// `account_id`'s pending request `request_id`, if it is addressed to them.
    fn own_request(&self, account_id: i64, request_id: i64) -> Result<i64, RequestAccess> {
        self.requests
            .get(&request_id)
            .filter(|r| r.to == account_id)
            .map(|r| r.from)
            .ok_or(RequestAccess::NotFound)
    }

    /// `PUT /incoming_requests/{id}`: the two become contacts; answers the requester
    /// with the direct room (`incoming_request_response`).
    pub(crate) fn approve_request(
        &mut self,
        account_id: i64,
        request_id: i64,
    ) -> Result<Value, RequestAccess> {
        let from = self.own_request(account_id, request_id)?;
        // Also drops this request (and any the other way round).
        let room = self.add_contact(account_id, from);
        let mut v = self.person_json(from);
        merge(&mut v, json!({ "room_id": room }));
        Ok(v)
    }

    /// `DELETE /incoming_requests/{id}`: the request is refused and forgotten.
    pub(crate) fn reject_request(
        &mut self,
        account_id: i64,
        request_id: i64,
    ) -> Result<(), RequestAccess> {
        self.own_request(account_id, request_id)?;
        self.requests.remove(&request_id);
        Ok(())
    }

    /// `GET /incoming_requests`: the caller's pending requests, at most [`LIST_CAP`].
    pub(crate) fn incoming_requests_json(&self, account_id: i64) -> Vec<Value> {
        self.requests
            .iter()
            .filter(|(_, r)| r.to == account_id)
            .take(LIST_CAP)
            .map(|(&id, r)| {
                let mut v = self.person_json(r.from);
                merge(&mut v, json!({ "request_id": id, "message": r.message }));
                v
            })
            .collect()
    }

    fn alloc_room_id(&mut self) -> i64 {
        if self.next_room_id == 0 {
            self.next_room_id = FIRST_GENERATED_ROOM_ID;
        }
        while self.rooms.contains_key(&self.next_room_id) {
            self.next_room_id += 1;
        }
        self.next_room_id += 1;
        self.next_room_id - 1
    }

    /// The caller's role in a room, or why it has none.
    pub(crate) fn role_in(&self, room_id: i64, account_id: i64) -> Result<Role, RoomAccess> {
        let room = self.rooms.get(&room_id).ok_or(RoomAccess::NotFound)?;
        room.members
            .iter()
            .find(|m| m.0 == account_id)
            .map(|m| m.1)
            .ok_or(RoomAccess::NotMember)
    }

    fn person_json(&self, account_id: i64) -> Value {
        let name = self
            .accounts
            .get(&account_id)
            .map_or("", |a| a.name.as_str());
        json!({
            "account_id": account_id,
            "name": name,
            "chatwork_id": "",
            "organization_id": 0,
            "organization_name": "",
            "department": "",
            "avatar_image_url": DEFAULT_AVATAR,
        })
    }

    /// `GET /me`.
    pub(crate) fn me_json(&self, account_id: i64) -> Value {
        let mut v = self.person_json(account_id);
        let extra = json!({
            "room_id": self.my_room(account_id).unwrap_or(0),
            "title": "", "url": "", "introduction": "", "mail": "",
            "tel_organization": "", "tel_extension": "", "tel_mobile": "",
            "skype": "", "facebook": "", "twitter": "", "login_mail": "",
        });
        merge(&mut v, extra);
        v
    }

    /// `GET /rooms`: the caller's rooms, at most [`LIST_CAP`].
    pub(crate) fn rooms_json(&self, account_id: i64, stats: impl Fn(i64) -> RoomStats) -> Value {
        let Some(ids) = self.rooms_of.get(&account_id) else {
            return Value::Array(Vec::new());
        };
        let list = ids
            .iter()
            .filter_map(|id| self.rooms.get(id).map(|r| (*id, r)))
            .take(LIST_CAP)
            .map(|(id, room)| {
                let role = room.members.iter().find(|m| m.0 == account_id).map(|m| m.1);
                let name = match room.kind {
                    RoomKind::Direct => room
                        .members
                        .iter()
                        .find(|m| m.0 != account_id)
                        .and_then(|m| self.accounts.get(&m.0))
                        .map_or(String::new(), |a| a.name.clone()),
                    _ => room.name.clone(),
                };
                let s = stats(id);
                json!({
                    "room_id": id,
                    "name": name,
                    "type": room.kind.as_str(),
                    "role": role.unwrap_or(Role::Member).as_str(),
                    "sticky": false,
                    "unread_num": 0,
                    "mention_num": 0,
                    "mytask_num": 0,
                    "message_num": s.message_num,
                    "file_num": 0,
                    "task_num": 0,
                    "icon_path": GROUP_ICON,
                    "last_update_time": s.last_update_time.max(room.created_at),
                })
            })
            .collect();
        Value::Array(list)
    }

    /// `GET /contacts`: each contact with the direct room shared with the caller. Not capped:
    /// the official RAML notes the 100-item cap on tasks, files, messages and incoming
    /// requests, not on contacts.
    pub(crate) fn contacts_json(&self, account_id: i64) -> Vec<Value> {
        let Some(list) = self.contacts.get(&account_id) else {
            return Vec::new();
        };
        list.iter()
            .map(|&(contact, room)| {
                let mut v = self.person_json(contact);
                merge(&mut v, json!({ "room_id": room }));
                v
            })
            .collect()
    }

    /// `GET /rooms/{id}/members`; the caller's access must have been checked.
    pub(crate) fn members_json(&self, room_id: i64) -> Value {
        let Some(room) = self.rooms.get(&room_id) else {
            return Value::Array(Vec::new());
        };
        let list = room
            .members
            .iter()
            .map(|&(account, role)| {
                let mut v = self.person_json(account);
                merge(&mut v, json!({ "role": role.as_str() }));
                v
            })
            .collect();
        Value::Array(list)
    }
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}
