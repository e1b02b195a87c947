//! Warnings in the answer to an accepted event: names that match nothing in the tenant.
//! The event is still accepted (those targets are recorded as `skipped`), but a typo in
//! an ID or event type should not pass silently.

use renkei_core::routing::{Outcome, Planned};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Warning {
    /// `unknown_event_type`, `unknown_client`, `unknown_group` or `unknown_member`.
    pub code: &'static str,
    pub message: String,
}

/// What the product named that does not exist: the event type (it then gets the defaults)
/// and each client, group or member target that routing found no object for.
pub fn event_warnings(event_type: &str, type_known: bool, planned: &[Planned]) -> Vec<Warning> {
    let mut out = Vec::new();
    if !type_known {
        out.push(Warning {
            code: "unknown_event_type",
            message: format!(
                "no event type `{event_type}`: the defaults were used (room delivery, every tool on); create it with PUT /api/v1/event-types/{event_type} or fix `type`"
            ),
        });
    }
    for p in planned {
        let Outcome::Skip { code } = p.outcome else {
            continue;
        };
        let (what, path) = match code {
            "unknown_client" => ("client", "clients"),
            "unknown_group" => ("group", "groups"),
            "unknown_member" => ("member", "members"),
            _ => continue,
        };
        let ext = p
            .target
            .split_once(':')
            .map_or(p.target.as_str(), |(_, e)| e);
        out.push(Warning {
            code,
            message: format!(
                "no {what} `{ext}`: nothing was sent to it; create it with PUT /api/v1/{path}/{ext} or fix `to.{path}`"
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skipped(target: &str, code: &'static str) -> Planned {
        Planned {
            target: target.into(),
            provider: None,
            outcome: Outcome::Skip { code },
            reasons: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn unknown_names_are_reported_and_other_skips_are_not() {
        let planned = [
            skipped("member:ghost", "unknown_member"),
            skipped("group:typo", "unknown_group"),
            skipped("member:yamada", "no_identity"),
        ];
        let w = event_warnings("survey.remindr", false, &planned);
        let codes: Vec<_> = w.iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            ["unknown_event_type", "unknown_member", "unknown_group"]
        );
        assert!(w[0].message.contains("survey.remindr"));
        assert!(w[1].message.contains("`ghost`"), "{}", w[1].message);
        assert!(event_warnings("known", true, &[]).is_empty());
    }
}
