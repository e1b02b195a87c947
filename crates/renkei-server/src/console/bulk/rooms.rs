//! A Chatwork connection's rooms, through the API's own `GET /connections/{id}/rooms`, and
//! their names remembered for the progress page: it polls every second or two, and asking
//! Chatwork each time would spend the token's 300 requests per 5 minutes on room names.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use parking_lot::Mutex;
use renkei_providers::chatwork::Room;

use crate::api::chatwork::rooms as api_rooms;
use crate::console::session::Console;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

/// Room ID → name, per connection.
type Names = Arc<HashMap<String, String>>;

/// How long remembered names are used before Chatwork is asked again.
const FRESH: Duration = Duration::from_secs(600);
/// After a failed listing, how long the page shows IDs before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

static NAMES: LazyLock<Mutex<HashMap<i64, (Instant, Names)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn remember(connection: i64, names: Names, fresh_until: Instant) {
    let mut all = NAMES.lock();
    let now = Instant::now();
    all.retain(|_, (until, _)| *until > now);
    all.insert(connection, (fresh_until, names));
}

/// The connection's rooms as Chatwork lists them (at most 100), for ticking.
pub async fn list(
    state: &AppState,
    console: &Console,
    connection: i64,
) -> Result<Vec<Room>, ApiError> {
    let ApiJson(rooms) = api_rooms(
        State(state.clone()),
        console.auth(),
        Path(connection.to_string()),
    )
    .await?;
    let names = rooms
        .iter()
        .map(|r| (r.room_id.to_string(), r.name.clone()))
        .collect();
    remember(connection, Arc::new(names), Instant::now() + FRESH);
    Ok(rooms)
}

/// Room names of a connection of this tenant: remembered, else asked once. Empty when
/// Chatwork cannot say (the page then shows room IDs).
pub async fn names(state: &AppState, console: &Console, connection: i64) -> Names {
    if let Some((until, names)) = NAMES.lock().get(&connection) {
        if *until > Instant::now() {
            return names.clone();
        }
    }
    match list(state, console, connection).await {
        Ok(_) => NAMES
            .lock()
            .get(&connection)
            .map(|(_, n)| n.clone())
            .unwrap_or_default(),
        Err(e) => {
            tracing::warn!(
                connection,
                code = e.code,
                "could not list rooms for their names"
            );
            let empty = Names::default();
            remember(
                connection,
                empty.clone(),
                Instant::now() + RETRY_AFTER_FAILURE,
            );
            empty
        }
    }
}
