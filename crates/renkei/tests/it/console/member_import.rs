//! The Chatwork user-list CSV import page: upload (a multipart form with the CSRF token as a
//! field) → a preview of every row → apply, which goes ahead only if it would still make
//! the changes the preview showed.

use reqwest::StatusCode;
use serde_json::json;

use super::browser::{Browser, Page};
use super::clients::put_ok;
use super::members::member;
use crate::helpers::{Backend, TestApp};

const BOUNDARY: &str = "renkei-test-boundary-7d1f";

/// Posts the upload form as a browser does: multipart, with the page's CSRF token (or none).
async fn upload(app: &TestApp, browser: &mut Browser, csv: &[u8], with_token: bool) -> Page {
    let form = browser.open("/console/members/import").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    form.assert_has("enctype=\"multipart/form-data\"");
    let mut body = Vec::new();
    if with_token {
        let token = form.csrf().unwrap();
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"users.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(csv);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let base = app.node().url();
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{base}/console/members/import"))
        .header("cookie", browser.cookie_header_for_tests())
        .header("origin", &base)
        .header("accept-language", "ja")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        html: response.text().await.unwrap(),
    }
}

/// A hidden field's value on the page.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name}: {}", page.html))
        + marker.len();
    let rest = &page.html[at..];
    rest[..rest.find('"').unwrap()].to_string()
}

async fn a_csv_is_previewed_row_by_row_then_applied(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_ok(
        &app,
        "/api/v1/members/yamada",
        json!({"name": "山田 太郎", "email": "yamada@example.jp"}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/members/sato",
        json!({"name": "佐藤 花子", "identities": {"chatwork": {"account_id": "3001"}}}),
    )
    .await;
    put_ok(
        &app,
        "/api/v1/members/kato",
        json!({"name": "加藤 一", "identities": {"chatwork": {"account_id": "5001"}}}),
    )
    .await;
    // Shift_JIS, as Chatwork's Japanese export and Excel save it.
    let text = "識別ID,名前,メールアドレス\r\n\
                2001,山田太郎,YAMADA@example.jp\r\n\
                3002,佐藤　花子,\r\n\
                4001,鈴木 一郎,suzuki@example.jp\r\n\
                abc,田中 次郎,tanaka@example.jp\r\n\
                5001,加藤 一,\r\n";
    let (csv, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let mut browser = Browser::signed_in(&app).await;

    let preview = upload(&app, &mut browser, &csv, true).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    preview.assert_has("新しく設定: 1人");
    preview.assert_has("変更: 1人");
    preview.assert_has("変更なし: 1人");
    preview.assert_has("要確認: 2行");
    preview.assert_has("ファイルの文字コード: Shift_JIS");
    // Every line, each with its outcome.
    for line in 2..=6 {
        preview.assert_has(&format!("<td>{line}</td>"));
    }
    preview.assert_has("<tr class=\"kind-new\">");
    preview.assert_has("山田太郎 / YAMADA@example.jp");
    preview.assert_has("<del>3001</del> → 3002");
    preview.assert_has("一致するメンバーがいません");
    preview.assert_has("「識別ID」が数字ではありません");
    preview.assert_has("<button type=\"submit\">2人に設定する</button>");
    assert_eq!(
        member(&app, "yamada").await["identities"],
        json!({}),
        "a preview changed something"
    );

    let csv_field = hidden(&preview, "csv");
    let plan = hidden(&preview, "plan");
    let apply = "/console/members/import/apply";
    // Without the token: refused.
    let refused = browser
        .post_raw(apply, &[("csv", &csv_field), ("plan", &plan)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Not the preview's plan (the directory changed since): a new preview, nothing applied.
    let stale = browser
        .submit(
            "/console/members/import",
            apply,
            &[("csv", &csv_field), ("plan", "0000")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    stale.assert_has("まだ取り込んでいません");
    stale.assert_has(&format!("name=\"plan\" value=\"{plan}\""));
    assert_eq!(member(&app, "yamada").await["identities"], json!({}));

    let applied = browser
        .submit(
            "/console/members/import",
            apply,
            &[("csv", &csv_field), ("plan", &plan)],
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.html);
    assert_eq!(
        applied.location(),
        Some("/console/members?imported=2&import_problems=2")
    );
    assert_eq!(
        member(&app, "yamada").await["identities"],
        json!({"chatwork": "2001"})
    );
    assert_eq!(
        member(&app, "sato").await["identities"],
        json!({"chatwork": "3002"})
    );
    let list = browser.open(applied.location().unwrap()).await;
    list.assert_has("CSV から 2人のメンバーに Chatwork のアカウント ID を設定しました。要確認の 2 行は取り込んでいません。");
    list.assert_has("<span class=\"tool\">Chatwork</span> 2001");
    let audit = browser.open("/console/audit").await;
    audit.assert_has("member.import");
    audit.assert_has("linked 2, unchanged 1, problems 2");
}

async fn unusable_files_are_refused_on_the_form(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    put_ok(&app, "/api/v1/members/yamada", json!({"name": "山田 太郎"})).await;
    let mut browser = Browser::signed_in(&app).await;
    let no_column = upload(
        &app,
        &mut browser,
        "名前,メール\n山田,y@example.jp\n".as_bytes(),
        true,
    )
    .await;
    assert_eq!(no_column.status, StatusCode::UNPROCESSABLE_ENTITY);
    no_column.assert_has("id=\"file-error\"");
    no_column.assert_has("アカウント ID の列が見つかりません");
    let empty = upload(&app, &mut browser, b"", true).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    empty.assert_has("CSV ファイルを選んでください。");
    let no_token = upload(
        &app,
        &mut browser,
        "識別ID,名前\n2001,山田 太郎\n".as_bytes(),
        false,
    )
    .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert_eq!(member(&app, "yamada").await["identities"], json!({}));
    browser.accept_language = "en".into();
    let en = browser.open("/console/members/import").await;
    en.assert_has("Import a Chatwork user list");
}

crate::on_both_backends!(
    a_csv_is_previewed_row_by_row_then_applied,
    unusable_files_are_refused_on_the_form,
);
