//! Rooms per tool on the client and group forms: the fields as typed, the body the API takes,
//! where an API refusal belongs, and how a room reads in a list.

use std::collections::BTreeMap;

use renkei_core::ids;
use renkei_core::model::Provider;
use renkei_store::connections::Connection;
use renkei_store::directory::Rooms;
use renkei_store::group_tree::EffectiveRoom;
use serde::Deserialize;

use super::{api_message, ROOM_TOOLS};
use crate::console::i18n::Tr;
use crate::console::page::FieldError;
use crate::console::session::Console;
use crate::error::ApiError;

/// The room fields of a form (`room_chatwork`, `room_slack`, `room_line_works`), as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RoomInputs {
    #[serde(default)]
    pub room_chatwork: String,
    #[serde(default)]
    pub room_slack: String,
    #[serde(default)]
    pub room_line_works: String,
}

impl RoomInputs {
    pub fn of(rooms: &Rooms) -> RoomInputs {
        let get = |p: Provider| rooms.get(&p).cloned().unwrap_or_default();
        RoomInputs {
            room_chatwork: get(Provider::Chatwork),
            room_slack: get(Provider::Slack),
            room_line_works: get(Provider::LineWorks),
        }
    }

    pub fn get(&self, p: Provider) -> &str {
        match p {
            Provider::Chatwork => &self.room_chatwork,
            Provider::Slack => &self.room_slack,
            Provider::LineWorks => &self.room_line_works,
            _ => "",
        }
    }

    /// The API body's `rooms`: the filled fields as pasted (the API parses them); an empty
    /// field clears that tool's room.
    pub fn body(&self) -> BTreeMap<String, String> {
        ROOM_TOOLS
            .into_iter()
            .filter(|p| !self.get(*p).trim().is_empty())
            .map(|p| (p.as_str().to_string(), self.get(p).trim().to_string()))
            .collect()
    }

    /// Puts an API refusal of the rooms on the field(s) it is about: the API names no field,
    /// so each pasted value is read again with the parser the API uses.
    pub fn errors(&self, tr: Tr, e: &ApiError) -> Vec<FieldError> {
        let bad: Vec<FieldError> = ROOM_TOOLS
            .into_iter()
            .filter(|p| {
                let v = self.get(*p).trim();
                !v.is_empty() && ids::parse_room(*p, v).is_err()
            })
            .map(|p| FieldError {
                field: field_id(p),
                message: tr.with(
                    &format!("dir-err-room-{}", p.as_str()),
                    "value",
                    self.get(p).trim(),
                ),
            })
            .collect();
        if bad.is_empty() {
            vec![FieldError {
                field: field_id(Provider::Chatwork),
                message: api_message(tr, e),
            }]
        } else {
            bad
        }
    }
}

/// The input `id` of a tool's room field.
pub fn field_id(p: Provider) -> String {
    format!("room-{}", p.as_str())
}

/// One room field of a form.
pub struct RoomField {
    pub id: String,
    pub name: String,
    pub label: String,
    pub hint: String,
    pub value: String,
    /// The tenant's connection for the tool, as one line ("connected: 事務所の Chatwork").
    pub status: String,
    /// Where posts go now (groups: the effective room); empty when the page does not say.
    pub now: String,
}

/// The room fields of a form, one per room tool, with what is typed in `inputs`.
pub fn room_fields(
    tr: Tr,
    inputs: &RoomInputs,
    connections: &[Connection],
    now: impl Fn(Provider) -> String,
) -> Vec<RoomField> {
    ROOM_TOOLS
        .into_iter()
        .map(|p| {
            let connected = connections.iter().any(|c| c.provider == p);
            RoomField {
                id: field_id(p),
                name: format!("room_{}", p.as_str()),
                label: tr.with("dir-room-label", "tool", p.display_name()),
                hint: tr.get(&format!("dir-room-hint-{}", p.as_str())),
                value: inputs.get(p).to_string(),
                status: if connected {
                    tr.with("dir-tool-connected", "tool", p.display_name())
                } else {
                    tr.with("dir-tool-not-connected", "tool", p.display_name())
                },
                now: now(p),
            }
        })
        .collect()
}

/// A room in a list cell: `ルーム 123`, or "not set".
pub fn room_cell(tr: Tr, rooms: &Rooms, p: Provider) -> String {
    match rooms.get(&p) {
        Some(room) => tr.with("dir-room-id", "room", room),
        None => tr.get("dir-room-unset"),
    }
}

/// Where a group's posts through `p` go, and why, in a sentence.
pub fn effective_text(tr: Tr, p: Provider, e: &EffectiveRoom) -> String {
    let room = e.room.clone().unwrap_or_default();
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("room", room);
    args.set("tool", p.display_name());
    args.set(
        "from",
        e.inherited_from
            .as_ref()
            .map(|g| g.name.clone())
            .unwrap_or_default(),
    );
    let connected = e.connection_id.is_some();
    let key = match (e.source, e.room.is_some()) {
        ("own", _) => "dir-effective-own",
        ("inherited", _) => "dir-effective-inherited",
        ("default_room", true) => "dir-effective-default",
        ("default_room", false) => "dir-effective-default-unknown",
        ("webhook_channel", _) => "dir-effective-webhook",
        _ if connected => "dir-effective-none",
        _ => "dir-effective-not-connected",
    };
    let text = tr.format_args(key, &args);
    // A room is set along the chain, but without a connection nothing is posted there.
    if !connected && matches!(e.source, "own" | "inherited") {
        format!("{text} {}", tr.format_args("dir-effective-unposted", &args))
    } else {
        text
    }
}

/// An API refusal of a client or group form, on its field.
pub(crate) fn form_errors(console: &Console, rooms: &RoomInputs, e: &ApiError) -> Vec<FieldError> {
    match e.code {
        "invalid_room" | "unknown_provider" => rooms.errors(console.tr, e),
        "group_cycle" | "unknown_group" => vec![FieldError {
            field: "parent".into(),
            message: api_message(console.tr, e),
        }],
        _ => vec![FieldError {
            field: "name".into(),
            message: api_message(console.tr, e),
        }],
    }
}

/// `chatwork room 5001 → 5002; slack room C1 → none`, for the audit log.
pub(crate) fn room_changes(
    before: &renkei_store::directory::Rooms,
    after: &renkei_store::directory::Rooms,
) -> Vec<String> {
    super::ROOM_TOOLS
        .into_iter()
        .filter(|p| before.get(p) != after.get(p))
        .map(|p| {
            let show = |r: Option<&String>| r.cloned().unwrap_or_else(|| "none".into());
            format!(
                "{p} room {} → {}",
                show(before.get(&p)),
                show(after.get(&p))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;
    use renkei_store::group_tree::GroupRef;

    #[test]
    fn a_refused_room_lands_on_its_own_field() {
        let inputs = RoomInputs {
            room_chatwork: "https://www.chatwork.com/#!rid5002".into(),
            room_slack: "general".into(),
            room_line_works: String::new(),
        };
        assert_eq!(
            inputs.body(),
            BTreeMap::from([
                (
                    "chatwork".to_string(),
                    "https://www.chatwork.com/#!rid5002".to_string()
                ),
                ("slack".to_string(), "general".to_string()),
            ])
        );
        let e = ApiError::unprocessable("invalid_room", "`general` is not a Slack channel");
        let errors = inputs.errors(Tr::new(Lang::Ja), &e);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "room-slack");
        assert!(
            errors[0].message.contains("「general」"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn effective_rooms_say_where_they_come_from() {
        let inherited = EffectiveRoom {
            room: Some("5002".into()),
            source: "inherited",
            inherited_from: Some(GroupRef {
                external_id: "dev".into(),
                name: "開発部".into(),
            }),
            connection_id: Some(1),
        };
        let ja = effective_text(Tr::new(Lang::Ja), Provider::Chatwork, &inherited);
        assert!(ja.contains("開発部") && ja.contains("5002"), "{ja}");
        let en = effective_text(Tr::new(Lang::En), Provider::Chatwork, &inherited);
        assert!(en.contains("inherited from 開発部"), "{en}");
        for source in ["own", "default_room", "webhook_channel", "none"] {
            for connection_id in [Some(1), None] {
                let e = EffectiveRoom {
                    source,
                    inherited_from: None,
                    connection_id,
                    ..inherited.clone()
                };
                for lang in [Lang::Ja, Lang::En] {
                    let text = effective_text(Tr::new(lang), Provider::Slack, &e);
                    assert!(!text.contains('⟦'), "{source} {lang:?}: {text}");
                }
            }
        }
        let unposted = EffectiveRoom {
            connection_id: None,
            ..inherited.clone()
        };
        let en = effective_text(Tr::new(Lang::En), Provider::Chatwork, &unposted);
        assert!(en.contains("not connected"), "{en}");
        for p in ROOM_TOOLS {
            for lang in [Lang::Ja, Lang::En] {
                let tr = Tr::new(lang);
                assert!(tr.maybe(&format!("dir-room-hint-{}", p.as_str())).is_some());
                assert!(tr.maybe(&format!("dir-err-room-{}", p.as_str())).is_some());
            }
        }
    }
}
