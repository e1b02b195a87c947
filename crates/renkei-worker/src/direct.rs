//! Where a direct message goes: the direct chat between the credential's account and the
//! recipient, looked up from the provider (Chatwork: `GET /contacts`) and cached per lane.
//! A recipient missing from the cache triggers one refresh, so someone who accepted the bot's
//! contact request a minute ago is found; concurrent misses share that refresh.

// tokio's clock, not std's: tests pause and advance it.
use tokio::time::Instant;

use renkei_providers::{DeliveryProvider, DirectRooms, SendContext, SendResult};
use tokio::sync::Mutex;

#[derive(Default)]
pub(crate) struct DirectCache {
    inner: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    rooms: DirectRooms,
    fetched_at: Option<Instant>,
}

impl DirectCache {
    /// The direct chat with `account`, `None` when the provider has none, or the failed
    /// lookup (classified like a send). `asked_at`: refreshes after it count as fresh.
    pub(crate) async fn room_for(
        &self,
        provider: &dyn DeliveryProvider,
        ctx: SendContext<'_>,
        account: &str,
        asked_at: Instant,
    ) -> Result<Option<String>, SendResult> {
        let mut cached = self.inner.lock().await;
        if let Some(room) = cached.rooms.get(account) {
            return Ok(Some(room.clone()));
        }
        if cached.fetched_at.is_some_and(|t| t >= asked_at) {
            return Ok(None); // refreshed while we waited, and still absent
        }
        cached.rooms = provider.direct_rooms(ctx).await?;
        cached.fetched_at = Some(Instant::now());
        Ok(cached.rooms.get(account).cloned())
    }
}
