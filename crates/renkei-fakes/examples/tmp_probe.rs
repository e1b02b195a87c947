use renkei_fakes::chatwork::{FakeChatwork, FakeChatworkConfig};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::main(worker_threads = 2)]
async fn main() {
    let cfg = FakeChatworkConfig {
        limits_enabled: false,
        ..Default::default()
    };
    let running = FakeChatwork::with_demo_world(cfg).start().await.unwrap();
    let addr = running.addr;
    let n_conn = 32;
    let per = 2000;
    let t = Instant::now();
    let mut hs = vec![];
    for c in 0..n_conn {
        hs.push(tokio::spawn(async move {
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            let mut buf = vec![0u8; 8192];
            for i in 0..per {
                let body = format!("body=hello+{c}+{i}+%E3%81%82");
                let req = format!("POST /v2/rooms/{}/messages HTTP/1.1\r\nHost: x\r\nX-ChatWorkToken: demo-token-0001\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}", 5001 + (i % 2), body.len(), body);
                s.write_all(req.as_bytes()).await.unwrap();
                let mut got = 0;
                loop {
                    let n = s.read(&mut buf[got..]).await.unwrap();
                    got += n;
                    let text = std::str::from_utf8(&buf[..got]).unwrap();
                    if let Some(h) = text.find("\r\n\r\n") {
                        let cl: usize = text[..h].lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap())).unwrap();
                        if got >= h + 4 + cl { assert!(text.starts_with("HTTP/1.1 200")); break; }
                    }
                }
            }
        }));
    }
    for h in hs {
        h.await.unwrap();
    }
    let el = t.elapsed();
    let total = n_conn * per;
    println!(
        "{total} posts in {el:?} = {:.0} rps; stored {}",
        total as f64 / el.as_secs_f64(),
        running.fake.all_messages().len()
    );
}
