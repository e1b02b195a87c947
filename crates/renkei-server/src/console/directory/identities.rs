//! A member's identities per tool on the member form: the fields as typed, the API body, and
//! where an API refusal belongs.

use std::collections::BTreeMap;

use renkei_core::ids;
use renkei_core::model::Provider;
use renkei_store::directory::{Identities, Member};
use serde::Deserialize;

use super::api_message;
use crate::api::directory::{IdentityBody, MemberBody};
use crate::console::i18n::Tr;
use crate::console::page::FieldError;
use crate::error::ApiError;

/// `identity_<tool>` fields, as typed (an empty field removes the tool's identity).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IdentityInputs {
    #[serde(default)]
    pub identity_chatwork: String,
    #[serde(default)]
    pub identity_slack: String,
    #[serde(default)]
    pub identity_teams: String,
    #[serde(default)]
    pub identity_google_chat: String,
    #[serde(default)]
    pub identity_line_works: String,
    #[serde(default)]
    pub identity_line: String,
}

impl IdentityInputs {
    pub fn of(identities: &Identities) -> IdentityInputs {
        let get = |p: Provider| identities.get(&p).cloned().unwrap_or_default();
        IdentityInputs {
            identity_chatwork: get(Provider::Chatwork),
            identity_slack: get(Provider::Slack),
            identity_teams: get(Provider::Teams),
            identity_google_chat: get(Provider::GoogleChat),
            identity_line_works: get(Provider::LineWorks),
            identity_line: get(Provider::Line),
        }
    }

    pub fn get(&self, p: Provider) -> &str {
        match p {
            Provider::Chatwork => &self.identity_chatwork,
            Provider::Slack => &self.identity_slack,
            Provider::Teams => &self.identity_teams,
            Provider::GoogleChat => &self.identity_google_chat,
            Provider::LineWorks => &self.identity_line_works,
            Provider::Line => &self.identity_line,
        }
    }

    pub fn body(&self) -> BTreeMap<String, IdentityBody> {
        Provider::ALL
            .into_iter()
            .filter(|p| !self.get(*p).trim().is_empty())
            .map(|p| (p.as_str().to_string(), identity(p, self.get(p).trim())))
            .collect()
    }

    /// An API refusal of an identity, on the field(s) whose value the API's parser refuses.
    pub fn errors(&self, tr: Tr, e: &ApiError) -> Vec<FieldError> {
        let bad: Vec<FieldError> = Provider::ALL
            .into_iter()
            .filter(|p| {
                let v = self.get(*p).trim();
                !v.is_empty() && ids::parse_identity(*p, v).is_err()
            })
            .map(|p| FieldError {
                field: field_id(p),
                message: tr.with(
                    &format!("dir-err-identity-{}", p.as_str()),
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

pub fn field_id(p: Provider) -> String {
    format!("identity-{}", p.as_str())
}

/// `{"account_id": "123"}` and the like: the API's shape of one identity.
pub fn identity(p: Provider, value: &str) -> IdentityBody {
    IdentityBody(BTreeMap::from([(
        p.identity_key().to_string(),
        value.to_string(),
    )]))
}

/// The API body that keeps the member exactly as it is; callers change one part of it.
pub fn body_of(m: &Member) -> MemberBody {
    MemberBody {
        name: m.name.clone(),
        email: m.email.clone(),
        client: m.client.clone(),
        groups: m.groups.clone(),
        identities: m
            .identities
            .iter()
            .map(|(p, v)| (p.as_str().to_string(), identity(*p, v)))
            .collect(),
    }
}

/// One identity field of the member form.
pub struct IdentityField {
    pub id: String,
    pub name: String,
    pub label: String,
    pub hint: String,
    pub value: String,
}

pub fn identity_fields(tr: Tr, inputs: &IdentityInputs) -> Vec<IdentityField> {
    Provider::ALL
        .into_iter()
        .map(|p| IdentityField {
            id: field_id(p),
            name: format!("identity_{}", p.as_str()),
            label: tr.get(&format!("dir-identity-label-{}", p.as_str())),
            hint: tr.get(&format!("dir-identity-hint-{}", p.as_str())),
            value: inputs.get(p).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;

    #[test]
    fn identities_go_to_the_api_in_its_shape_and_errors_to_their_field() {
        let inputs = IdentityInputs {
            identity_chatwork: "[To:2001] 山田さん".into(),
            identity_slack: "yamada".into(),
            ..Default::default()
        };
        let body = inputs.body();
        assert_eq!(body.len(), 2);
        assert_eq!(body["chatwork"].0["account_id"], "[To:2001] 山田さん");
        assert_eq!(body["slack"].0["member_id"], "yamada");
        let e = ApiError::unprocessable("invalid_identity", "`yamada` is not a Slack member ID");
        let errors = inputs.errors(Tr::new(Lang::En), &e);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "identity-slack");
        for p in Provider::ALL {
            for lang in [Lang::Ja, Lang::En] {
                let tr = Tr::new(lang);
                for key in [
                    "dir-err-identity",
                    "dir-identity-label",
                    "dir-identity-hint",
                ] {
                    assert!(
                        tr.maybe(&format!("{key}-{}", p.as_str())).is_some(),
                        "{key}-{p} {lang:?}"
                    );
                }
            }
        }
    }
}
