//! A figure for `just bench spa`, not a check (hence `#[ignore]`): the time
//! from navigation start to the login form being interactive (its submit
//! button rendered by the WASM app, handlers attached), read from the page's
//! own `performance.now()` in headless Chromium.

use std::time::Duration;

use fantoccini::Locator;

use crate::harness::launch;

#[actix_web::test]
#[ignore = "a benchmark: run by `just bench spa`"]
async fn login_form_time_to_interactive() {
    let Some(b) = launch().await else { return };
    let mut times = Vec::new();
    for _ in 0..7 {
        b.client.goto("about:blank").await.expect("blank");
        b.client.goto(&format!("{}/login", b.base)).await.expect("login page");
        let mut found = false;
        for _ in 0..2000 {
            if let Ok(button) = b.client.find(Locator::Css("[data-testid=login-submit]")).await
                && button.is_enabled().await.unwrap_or(false)
            {
                found = true;
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(found, "the login form never became interactive");
        let now = b.client.execute("return performance.now()", vec![]).await.expect("performance.now");
        times.push(now.as_f64().expect("a number"));
    }
    let cold = times[0];
    let mut warm = times[1..].to_vec();
    warm.sort_by(f64::total_cmp);
    println!(
        "RESULT spa_interactive_cold_ms={cold:.0} spa_interactive_warm_median_ms={:.0} (headless Chromium, {} warm loads)",
        warm[warm.len() / 2],
        warm.len()
    );
    b.close().await;
}
