//! Identity import from Chatwork's user-list CSV export (ACALL / HiManager): account IDs are
//! matched to members by e-mail, else name. A dry run (the default) shows what would change
//! and every row's problem; `?apply=true` commits the links in one transaction.

use axum::body::Bytes;
use axum::extract::{Query, State};
use renkei_core::import::{
    match_members, parse_chatwork_users_csv, CsvError, CsvProblem, MatchOutcome, MemberRef,
};
use renkei_core::model::Provider;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportParams {
    /// `true` commits the links; otherwise nothing changes (dry run).
    #[serde(default)]
    pub apply: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub applied: bool,
    /// `utf-8` or `shift_jis`.
    pub encoding: &'static str,
    /// Members that get (or got) an account ID.
    pub linked: usize,
    pub unchanged: usize,
    /// Rows that were not imported, each with what to fix.
    #[schema(value_type = Object)]
    pub problems: Vec<CsvProblem>,
    /// Every row's outcome, in file order.
    #[schema(value_type = Object)]
    pub rows: Vec<MatchOutcome>,
}

#[utoipa::path(post, path = "/api/v1/identity-imports/chatwork", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "Chatwork's user-list CSV export (UTF-8 or Shift_JIS)"),
    responses((status = 200, body = ImportReport), (status = 422)))]
pub async fn chatwork(
    State(state): State<AppState>,
    auth: Auth,
    Query(params): Query<ImportParams>,
    body: Bytes,
) -> Result<ApiJson<ImportReport>, ApiError> {
    let parsed = parse_chatwork_users_csv(&body).map_err(|e| {
        let code = match e {
            CsvError::Encoding(_) => "csv_encoding",
            CsvError::NoAccountColumn { .. } => "csv_no_account_column",
            CsvError::Malformed(_) => "csv_malformed",
            CsvError::Empty => "csv_empty",
        };
        ApiError::unprocessable(code, e.to_string())
    })?;
    let members: Vec<MemberRef> = state
        .store
        .member_refs(auth.id(), Provider::Chatwork)
        .await?
        .into_iter()
        .map(|(external_id, name, email, current_account_id)| MemberRef {
            external_id,
            name,
            email,
            current_account_id,
        })
        .collect();
    let outcomes = match_members(&parsed.rows, &members);
    let links: Vec<(String, String)> = outcomes
        .iter()
        .filter_map(|o| match o {
            MatchOutcome::Link {
                external_id,
                account_id,
                ..
            } => Some((external_id.clone(), account_id.clone())),
            _ => None,
        })
        .collect();
    let mut problems = parsed.problems;
    problems.extend(outcomes.iter().filter_map(|o| match o {
        MatchOutcome::Problem(p) => Some(p.clone()),
        _ => None,
    }));
    problems.sort_by_key(|p| p.line);
    if params.apply && !links.is_empty() {
        state
            .store
            .set_identities(auth.id(), Provider::Chatwork, &links)
            .await?;
    }
    Ok(ApiJson(ImportReport {
        applied: params.apply,
        encoding: parsed.encoding,
        linked: links.len(),
        unchanged: outcomes
            .iter()
            .filter(|o| matches!(o, MatchOutcome::Unchanged { .. }))
            .count(),
        problems,
        rows: outcomes,
    }))
}
