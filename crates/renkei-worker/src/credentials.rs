//! Where providers put credentials they renewed while sending (a rotated OAuth refresh
//! token): sealed into the connection's row, so the next node to take the lane uses them.

use futures::future::BoxFuture;
use renkei_providers::CredentialStore;
use renkei_store::Store;

pub struct StoredCredentials(pub Store);

impl CredentialStore for StoredCredentials {
    fn save<'a>(
        &'a self,
        connection: i64,
        credentials: &'a serde_json::Value,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match self.0.save_credentials(connection, credentials).await {
                Ok(true) => Ok(()),
                // Deleted or broken meanwhile: unlinking wins over a late refresh.
                Ok(false) => Err("the connection is no longer connected".into()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn load(&self, connection: i64) -> BoxFuture<'_, Option<serde_json::Value>> {
        Box::pin(async move {
            match self.0.connection_for_worker(connection).await {
                Ok(found) => found.map(|(_, creds)| creds),
                Err(e) => {
                    tracing::warn!(connection, error = %e, "could not re-read credentials");
                    None
                }
            }
        })
    }
}
