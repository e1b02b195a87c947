//! One pace per space for every connection of this node. Google counts writes per space,
//! whichever app or webhook made them (60 a minute, about one a second), so two webhooks
//! into one space must share a pace that a lane, which knows only its own credential,
//! cannot give them. Other nodes pace their own share (see docs/decisions.md).

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

/// Spaces remembered beyond this are pruned of those whose turn has passed.
const PRUNE_ABOVE: usize = 1_024;

#[derive(Debug)]
pub struct SpacePacer {
    interval: Duration,
    /// Space → when its next post may go.
    next: Mutex<HashMap<String, Instant>>,
}

impl SpacePacer {
    /// Posts into one space at least `interval` apart; a zero interval never waits.
    pub fn new(interval: Duration) -> Self {
        SpacePacer {
            interval,
            next: Mutex::new(HashMap::new()),
        }
    }

    /// Takes the space's next turn and waits for it. Turns are handed out in call order,
    /// so concurrent senders queue fairly instead of racing.
    pub async fn wait_turn(&self, space: &str) {
        if self.interval.is_zero() {
            return;
        }
        let turn = {
            let now = Instant::now();
            let mut next = self.next.lock();
            if next.len() > PRUNE_ABOVE {
                next.retain(|_, at| *at > now);
            }
            let turn = next.get(space).copied().filter(|at| *at > now);
            let turn = turn.unwrap_or(now);
            next.insert(space.to_string(), turn + self.interval);
            turn
        };
        tokio::time::sleep_until(turn).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAP: Duration = Duration::from_millis(40);

    #[tokio::test]
    async fn turns_in_one_space_are_an_interval_apart_and_spaces_do_not_wait_on_each_other() {
        let pacer = SpacePacer::new(GAP);
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait_turn("A").await;
        }
        assert!(start.elapsed() >= 2 * GAP, "{:?}", start.elapsed());
        let before_b = Instant::now();
        pacer.wait_turn("B").await;
        assert!(before_b.elapsed() < GAP, "another space goes at once");
    }

    #[tokio::test]
    async fn concurrent_senders_queue_for_their_turns() {
        let pacer = std::sync::Arc::new(SpacePacer::new(GAP));
        let start = Instant::now();
        let waits: Vec<_> = (0..4)
            .map(|_| {
                let p = pacer.clone();
                tokio::spawn(async move { p.wait_turn("A").await })
            })
            .collect();
        for w in waits {
            w.await.unwrap();
        }
        assert!(start.elapsed() >= 3 * GAP, "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_zero_interval_never_waits() {
        let pacer = SpacePacer::new(Duration::ZERO);
        pacer.wait_turn("A").await;
        assert!(pacer.next.lock().is_empty());
    }
}
