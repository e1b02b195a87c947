//! The trigger endpoint: one handler with hand routing, so every request (unknown routes
//! included) is checked in the same order, recorded, then delayed.

use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

use super::{flow, FakeTeams, FlowRun, RunStatus};

/// The body a retired connector answered (with 200) when Teams throttled it.
const LEGACY_THROTTLED: &str =
    "Webhook message delivery failed with error: Microsoft Teams endpoint \
returned HTTP error 429 with ContextId tcid=0,server=msgapi-fake,cv=fake.0..";

struct Reply {
    status: StatusCode,
    body: String,
    json: bool,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn error(status: StatusCode, code: &str, message: &str) -> Reply {
        Reply {
            status,
            body: json!({"error": {"code": code, "message": message}}).to_string(),
            json: true,
            headers: Vec::new(),
        }
    }

    fn into_response(self) -> Response {
        let mut res = Response::new(Body::from(self.body));
        *res.status_mut() = self.status;
        if self.json {
            let ct = HeaderValue::from_static("application/json; charset=utf-8");
            res.headers_mut().insert(header::CONTENT_TYPE, ct);
        }
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(name, v);
            }
        }
        res
    }
}

/// The workflow id of a trigger path, in either URL shape.
fn workflow_of(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/powerautomate/automations/direct")
        .unwrap_or(path);
    let id = rest
        .strip_prefix("/workflows/")?
        .strip_suffix("/triggers/manual/paths/invoke")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

fn query_value(uri: &Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(super) async fn handle(
    State(fake): State<FakeTeams>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let reply = answer(&fake, &method, &uri, &headers, &body);
    let shared = &fake.shared;
    shared
        .journal
        .record(&method, &uri, &headers, &body, reply.status.as_u16());
    shared.faults.apply_delay().await;
    reply.into_response()
}

fn answer(fake: &FakeTeams, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Reply {
    let shared = &fake.shared;
    let Some(workflow) = workflow_of(uri.path()) else {
        return Reply::error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
        );
    };
    if method != Method::POST {
        let message = format!(
            "The HTTP method for this request is not valid: expected 'Post' and actual '{method}'."
        );
        return Reply::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "TriggerRequestMethodNotValid",
            &message,
        );
    }
    if query_value(uri, "api-version").is_none_or(|v| v.is_empty()) {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    }
    let Some(expected) = shared.workflows.lock().get(workflow).cloned() else {
        let message = format!("The workflow '{workflow}' could not be found.");
        return Reply::error(StatusCode::NOT_FOUND, "WorkflowNotFound", &message);
    };
    match query_value(uri, "sig") {
        None => {
            return Reply::error(
                StatusCode::UNAUTHORIZED,
                "DirectApiAuthorizationRequired",
                "The request must be authenticated only by Shared Access scheme.",
            )
        }
        Some(sig) if sig != expected => {
            return Reply::error(
                StatusCode::UNAUTHORIZED,
                "DirectApiInvalidAuthorizationSignature",
                "The provided authorization signature is not valid.",
            )
        }
        Some(_) => {}
    }
    if shared.disabled.lock().contains(workflow) {
        let message = format!(
            "Could not execute workflow '{workflow}' trigger 'manual' with state 'Disabled': trigger is not enabled."
        );
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "WorkflowTriggerIsNotEnabled",
            &message,
        );
    }
    if shared.limits_enabled.load(Ordering::Relaxed) {
        let window = shared.windows.hit(workflow);
        if !window.allowed {
            let message = format!(
                "Number of requests for workflow '{workflow}' exceeded the limit of '{}' over time window of '{:?}'.",
                shared.windows.limit, shared.windows.window
            );
            let mut reply = Reply::error(
                StatusCode::TOO_MANY_REQUESTS,
                "WorkflowRequestsThrottled",
                &message,
            );
            if shared.retry_after.load(Ordering::Relaxed) {
                let secs = window.reset_in.as_secs_f64().ceil().max(1.0);
                reply.headers.push(("retry-after", format!("{secs:.0}")));
            }
            return reply;
        }
    }
    if let Some(status) = shared.faults.take(uri.path()) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = if status.is_server_error() {
            "ServiceUnavailable"
        } else {
            "InjectedFault"
        };
        return Reply::error(
            status,
            code,
            "An injected fault: the fake was told to fail this request.",
        );
    }
    let throttled = shared
        .legacy_throttle
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok();
    if throttled {
        return Reply {
            status: StatusCode::OK,
            body: LEGACY_THROTTLED.into(),
            json: false,
            headers: Vec::new(),
        };
    }
    let payload = match json_body(headers, body) {
        Ok(payload) => payload,
        Err(message) => {
            return Reply::error(StatusCode::BAD_REQUEST, "InvalidRequestContent", &message)
        }
    };
    let run_id = format!(
        "08584{:020}CU00",
        shared.next_run.fetch_add(1, Ordering::Relaxed)
    );
    let (status, error, cards) = match flow::run(&payload) {
        Ok(cards) => (RunStatus::Succeeded, None, cards),
        Err(why) => (RunStatus::Failed, Some(why), Vec::new()),
    };
    shared.runs.lock().push(FlowRun {
        run_id: run_id.clone(),
        workflow: workflow.to_owned(),
        status,
        error,
        cards,
        payload,
    });
    Reply {
        status: StatusCode::ACCEPTED,
        body: String::new(),
        json: false,
        headers: vec![("x-ms-workflow-run-id", run_id)],
    }
}

/// The trigger's JSON body. Its schema makes Logic Apps read the body as JSON only when the
/// `Content-Type` says so; anything else is refused even if it would parse.
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(format!(
            "The input body for trigger 'manual' of type 'Request' must be of type JSON, but was of type '{content_type}'."
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        format!("The request content is not valid and could not be deserialized: '{e}'.")
    })
}
