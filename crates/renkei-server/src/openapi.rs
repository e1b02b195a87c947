//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "renkei", description = "Self-hosted notification hub for chat tools. Every /api/v1 call takes `Authorization: Bearer <api_key>`; errors are `{\"error\": {\"code\", \"message\"}}`."),
    paths(
        api::healthz,
        api::directory::put_client,
        api::directory::put_group,
        api::directory::put_member,
        api::directory::put_event_type,
        api::connections::create,
        api::connections::list,
        api::connections::show,
        api::connections::delete,
        api::events::create,
        api::events::create_batch,
        api::events::show,
        api::preview::preview,
        api::directory::get_member,
        api::directory::get_preferences,
        api::directory::put_preferences,
        api::settings::get_settings,
        api::settings::put_settings,
        api::connections::patch,
        api::chatwork::rooms,
        api::chatwork::contacts,
        api::chatwork::contact_requests,
        api::chatwork::approve_contact_request,
        api::bulk::create,
        api::bulk::show,
        api::bulk::cancel,
        api::imports::chatwork,
        crate::flows::chatwork_oauth::get_client,
        crate::flows::chatwork_oauth::put_client,
        crate::flows::chatwork_oauth::authorize,
        api::absences::put,
        api::absences::delete,
        api::absences::list,
        api::inbound::put_inbound_secret,
        api::inbound::followers,
        crate::flows::line_link::create_page,
        api::providers::list,
        api::web_links::console_link,
        api::web_links::member_settings_link,
        api::web_links::client_settings_link,
        api::member_tools::put_identity,
        api::member_tools::delete_identity,
        api::member_tools::test_notice,
        api::lists::clients,
        api::lists::client,
        api::lists::groups,
        api::lists::group,
        api::lists::members,
        api::lists::event_types,
        api::lists::event_type,
        api::removal::delete_client,
        api::removal::delete_group,
        api::removal::delete_member,
        api::removal::delete_event_type,
        api::event_log::list,
        api::resend::resend_delivery,
        api::resend::resend_failed,
    ),
    modifiers(&BearerAuth),
    security(("api_key" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
