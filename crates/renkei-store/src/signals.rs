//! Telling every node's lanes that something changed under them (a connection deleted,
//! deliveries cancelled, new deliveries queued by another node). A lane holds pending deliveries and credentials in memory, so the node
//! that made the change must reach lanes on other nodes at once, not at their next periodic check.
//! On PostgreSQL this is `NOTIFY renkei_lanes`; on SQLite there is only one node, so the local
//! signal suffices and this is a no-op.

use std::str::FromStr;

use futures::Stream;
use sqlx::postgres::PgListener;

use crate::{Backend, Result, Store, StoreError};

const CHANNEL: &str = "renkei_lanes";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneSignal {
    /// The connection is gone: stop its lane.
    Stop,
    /// Deliveries were settled elsewhere: re-read the queue before sending more.
    Resync,
    /// New deliveries were queued: fetch them now.
    Wake,
}

impl LaneSignal {
    fn as_str(self) -> &'static str {
        match self {
            LaneSignal::Stop => "stop",
            LaneSignal::Resync => "resync",
            LaneSignal::Wake => "wake",
        }
    }
}

impl FromStr for LaneSignal {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        match s {
            "stop" => Ok(LaneSignal::Stop),
            "resync" => Ok(LaneSignal::Resync),
            "wake" => Ok(LaneSignal::Wake),
            _ => Err(()),
        }
    }
}

/// `stop:12,13` → (Stop, [12, 13]).
pub fn parse(payload: &str) -> Option<(LaneSignal, Vec<i64>)> {
    let (kind, ids) = payload.split_once(':')?;
    let ids = ids
        .split(',')
        .map(|i| i.parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    Some((kind.parse().ok()?, ids))
}

impl Store {
    /// Tells the lanes of these connections on every node.
    pub async fn signal_lanes(&self, signal: LaneSignal, connections: &[i64]) -> Result<()> {
        if self.backend != Backend::Postgres || connections.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = connections.iter().map(ToString::to_string).collect();
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{}:{}", signal.as_str(), ids.join(",")))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The signals sent by any node, as they arrive (PostgreSQL only; `None` on SQLite).
    /// The listener reconnects by itself after a lost connection.
    pub async fn lane_signals(&self) -> Result<Option<impl Stream<Item = (LaneSignal, Vec<i64>)>>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(&self.url).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(futures::stream::unfold(
            listener,
            |mut l| async move {
                loop {
                    match l.recv().await {
                        Ok(n) => {
                            if let Some(sig) = parse(n.payload()) {
                                return Some((sig, l));
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %StoreError::from(e), "lost the lane-signal listener; retrying");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    }
                }
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        assert_eq!(parse("stop:12,13"), Some((LaneSignal::Stop, vec![12, 13])));
        assert_eq!(parse("resync:7"), Some((LaneSignal::Resync, vec![7])));
        assert_eq!(parse("wake:1,2,3"), Some((LaneSignal::Wake, vec![1, 2, 3])));
        assert_eq!(parse("explode:7"), None);
        assert_eq!(parse("stop:x"), None);
        assert_eq!(parse("stop"), None);
    }
}
