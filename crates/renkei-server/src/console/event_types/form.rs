//! The event type form (new and edit): its fields, and saving it through the API's own
//! `PUT /api/v1/event-types/{key}` handler with its errors placed next to the fields.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use renkei_core::model::Provider;
use renkei_store::directory::EventType;
use serde::Deserialize;

use crate::api::directory::{put_event_type, EventTypeBody, LINK_TTL_CHOICES};
use crate::console::i18n::Tr;
use crate::console::page::FieldError;
use crate::console::session::Console;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// What the form sends. Everything is text, so that whatever was typed comes back on error.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TypeForm {
    /// Only on the "new" form; the edit form's key is in the path.
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub name: String,
    /// `room`, `direct` or `both`.
    #[serde(default)]
    pub delivery: String,
    /// Days, or empty for the office's setting.
    #[serde(default)]
    pub ttl: String,
}

impl TypeForm {
    /// The empty "new event type" form: room delivery, the office's link setting.
    pub fn new_type() -> TypeForm {
        TypeForm {
            delivery: "room".into(),
            ..TypeForm::default()
        }
    }

    pub fn of(t: &EventType) -> TypeForm {
        TypeForm {
            key: t.key.clone(),
            name: t.name.clone(),
            delivery: t.delivery.as_str().into(),
            ttl: t
                .confirmation_link_ttl_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }

    pub fn ttl_is(&self, days: &i64) -> bool {
        self.ttl == days.to_string()
    }

    /// The lifetimes to choose from (the empty choice, the office's setting, comes first).
    pub fn ttl_choices(&self) -> &'static [i64] {
        &LINK_TTL_CHOICES
    }
}

/// Saves the form as event type `form.key`, keeping `defaults` (the matrix's per-tool
/// choices, which this form does not show). Errors come back placed on the fields.
pub async fn put_type(
    state: &AppState,
    console: &Console,
    form: &TypeForm,
    defaults: BTreeMap<Provider, bool>,
) -> Result<EventType, Vec<FieldError>> {
    let ttl = match form.ttl.trim() {
        "" => None,
        days => match days.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                let e = ApiError::unprocessable("invalid_link_ttl", "not a number of days");
                return Err(vec![field_error(console.tr, &e)]);
            }
        },
    };
    let body = EventTypeBody {
        name: form.name.clone(),
        delivery: Some(form.delivery.clone()),
        defaults: defaults
            .into_iter()
            .map(|(p, on)| (p.as_str().to_string(), on))
            .collect(),
        confirmation_link_ttl_days: ttl,
    };
    put_event_type(
        State(state.clone()),
        console.auth(),
        Path(form.key.clone()),
        ApiJson(body),
    )
    .await
    .map(|(_, ApiJson(saved))| saved)
    .map_err(|e| vec![field_error(console.tr, &e)])
}

/// An API error as a message next to the field it is about, in the page's language
/// (`et-err-<code>`), else the API's own message.
pub fn field_error(tr: Tr, e: &ApiError) -> FieldError {
    let field = match e.code {
        "invalid_external_id" => "key",
        "invalid_delivery" => "delivery-room",
        "invalid_link_ttl" => "ttl",
        _ => "name",
    };
    FieldError {
        field: field.into(),
        message: tr
            .maybe(&format!("et-err-{}", e.code))
            .unwrap_or_else(|| e.message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;

    #[test]
    fn the_api_codes_of_this_form_have_words_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let tr = Tr::new(lang);
            for code in [
                "invalid_external_id",
                "invalid_name",
                "invalid_delivery",
                "invalid_link_ttl",
            ] {
                let e = ApiError::unprocessable(code, "api words");
                let shown = field_error(tr, &e);
                assert_ne!(shown.message, "api words", "{code} in {lang:?}");
            }
        }
        let tr = Tr::new(Lang::En);
        let e = ApiError::unprocessable("invalid_link_ttl", "x");
        assert_eq!(field_error(tr, &e).field, "ttl");
    }
}
