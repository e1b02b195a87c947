//! Chaos: the real binary is SIGKILLed at random moments while a load generator posts events
//! (30 kills on SQLite; 24 on PostgreSQL with two nodes, either one killed). Afterwards every event
//! a node answered 202 for is delivered, Chatwork repeats stay within what the kills left
//! unrecorded, and LINE (retry keys) received nothing twice. The seed is printed;
//! `RENKEI_CHAOS_SEED=N` replays its choices (the timing is the machine's).

mod load;
mod verdict;
mod world;

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::durability::{create_tenant_with_cli, free_port, wait_healthy, Proc};
use crate::helpers::{eventually, fresh_database, Backend};
use load::Load;
use world::{binary_env, configure_tenant, start_serve, Fakes};

/// The two chaos runs are the heaviest tests; on 2 cores they take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One `renkei serve` process slot: restarted on the same port and environment.
struct Node {
    env: Vec<(&'static str, String)>,
    port: u16,
    log: std::path::PathBuf,
    proc: Option<Proc>,
}

impl Node {
    fn start(&mut self) {
        self.proc = Some(start_serve(&self.env, self.port, &self.log));
    }

    /// SIGKILL, then reap the child: only then does the OS release its SQLite lock.
    fn kill(&mut self) {
        let mut p = self.proc.take().expect("running");
        p.0.kill().unwrap();
        p.0.wait().unwrap();
    }
}

fn seed() -> u64 {
    std::env::var("RENKEI_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

/// Messages the fakes accepted so far (both providers).
fn received(fakes: &Fakes) -> usize {
    fakes.chatwork().all_messages().len() + fakes.line().pushes().len()
}

async fn chaos(backend: Backend, nodes: usize, kills: usize) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = fresh_database(backend, dir.path()).await else {
        eprintln!("SKIPPED: the chaos test on {backend:?}: the database is not reachable");
        return;
    };
    let seed = seed();
    eprintln!("chaos ({backend:?}, {nodes} node(s), {kills} kills): seed {seed}");
    let fakes = Fakes::start().await;
    let env = binary_env(&db, dir.path(), &fakes);
    let mut cluster: Vec<Node> = (0..nodes)
        .map(|i| {
            let mut env = env.clone();
            env.push(("RENKEI_NODE_ID", format!("chaos-node-{i}")));
            Node {
                env,
                port: free_port(),
                log: dir.path().join(format!("node-{i}.log")),
                proc: None,
            }
        })
        .collect();
    for n in &mut cluster {
        n.start();
    }
    for n in &cluster {
        wait_healthy(n.port).await;
    }
    let base = format!("http://127.0.0.1:{}", cluster[0].port);
    let key = create_tenant_with_cli(&cluster[0].env);
    let (_, line_connection) = configure_tenant(&base, &key).await;

    let load = Load::start(cluster.iter().map(|n| n.port).collect(), key.clone(), seed);
    eventually(Duration::from_secs(20), "first deliveries", async || {
        received(&fakes) >= 20
    })
    .await;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut received_at_kill = vec![received(&fakes)];
    for _ in 0..kills {
        // Chaos, not synchronisation: the kill lands at a random moment of the node's work.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(50..400))).await;
        let victim = &mut cluster[rng.gen_range(0..nodes)];
        victim.kill();
        received_at_kill.push(received(&fakes));
        victim.start();
        wait_healthy(victim.port).await;
    }
    let chaos_took = started.elapsed();
    // The nodes running now are the final clean start.
    let accepted = load.finish().await;
    let settled = verdict::settle_all(&base, &key, &accepted.ids).await;

    // A kill repeats only sends whose outcome was not yet committed. A lane keeps at most
    // `max_uncommitted` of those (in flight, or answered and waiting for the batch commit;
    // see `Lane::start_sends`), and each connection has one lane, on one node: each kill
    // can repeat at most that many Chatwork posts.
    let per_kill = renkei_worker::WorkerConfig::default().max_uncommitted();
    let tally = verdict::check(&fakes, &settled, line_connection, kills * per_kill);
    let progressed = received_at_kill.windows(2).filter(|w| w[1] > w[0]).count();
    eprintln!(
        "chaos ({backend:?}): seed {seed}, {kills} kills in {chaos_took:?}, {} events accepted \
         ({} requests, {} with keys unanswered and sent again, {} without keys unanswered, \
         {} answered as duplicates, refused {:?}), {} deliveries; fakes got {} Chatwork posts \
         ({} repeats, bound {}), {} LINE pushes ({} answered 409); sends between kills {progressed}/{kills}; \
         {:?} in all",
        accepted.ids.len(),
        accepted.requests,
        accepted.unanswered_with_keys,
        accepted.unanswered_without_keys,
        accepted.duplicates_answered,
        accepted.refused,
        settled.len(),
        tally.chatwork_messages,
        tally.chatwork_repeats,
        kills * per_kill,
        tally.line_pushes,
        tally.line_409,
        started.elapsed(),
    );
    assert!(
        accepted.refused.keys().all(|s| *s >= 500),
        "requests refused: {:?}",
        accepted.refused
    );
    // The kills must land on a working node, or the test proves nothing.
    assert!(
        progressed * 2 >= kills,
        "messages arrived between only {progressed} of {kills} kills"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_node_killed_at_random_loses_nothing() {
    chaos(Backend::Sqlite, 1, 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_nodes_killed_at_random_lose_nothing() {
    chaos(Backend::Postgres, 2, 24).await;
}
