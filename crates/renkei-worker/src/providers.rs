//! The providers this node can deliver through.

use std::collections::HashMap;
use std::sync::Arc;

use renkei_core::model::Provider;
use renkei_providers::DeliveryProvider;

#[derive(Clone, Default)]
pub struct Providers {
    map: HashMap<Provider, Arc<dyn DeliveryProvider>>,
}

impl Providers {
    pub fn with(mut self, provider: Provider, client: Arc<dyn DeliveryProvider>) -> Self {
        self.map.insert(provider, client);
        self
    }

    pub fn get(&self, provider: Provider) -> Option<Arc<dyn DeliveryProvider>> {
        self.map.get(&provider).cloned()
    }
}
