//! The desktop app in a real window: `softwire-desktop` (built by
//! `tauri build --debug --no-bundle` and copied to target/desktop/) runs
//! as a test user inside that user's keychain session, under Xvfb, driven
//! over WebDriver through `tauri-driver` and WebKitGTK's `WebKitWebDriver`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::service::Service;
use crate::user::{KeychainSession, User};

/// Where the test build of the app is (scripts/build-desktop.sh).
pub fn app_binary() -> PathBuf {
    repo_dir().join("target/desktop/softwire-desktop")
}

/// Where scripts/build-desktop.sh installs tauri-driver.
pub fn tauri_driver() -> PathBuf {
    repo_dir().join("target/tools/bin/tauri-driver")
}

/// The checkout's top directory.
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// A loopback port nobody listens on now.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The app's window, driven over WebDriver.
#[derive(Debug)]
pub struct DesktopApp {
    /// The WebDriver session.
    pub client: Client,
    session: KeychainSession,
    /// The output of Xvfb, tauri-driver and the app.
    pub log: PathBuf,
}

impl DesktopApp {
    /// Starts Xvfb and tauri-driver in `user`'s keychain session and the
    /// app through them, talking to `service`.
    pub async fn start(user: &User, service: &Service, log: &Path) -> Result<Self, String> {
        let (app, driver) = (app_binary(), tauri_driver());
        for needed in [&app, &driver] {
            if !needed.exists() {
                return Err(format!(
                    "{} is missing: run scripts/build-desktop.sh",
                    needed.display()
                ));
            }
        }
        let port = free_port().map_err(|e| e.to_string())?;
        let native_port = free_port().map_err(|e| e.to_string())?;
        let script = format!(
            "exec xvfb-run -a -s '-screen 0 1280x860x24' {} --port {port} --native-port {native_port} --native-driver /usr/bin/WebKitWebDriver",
            driver.display()
        );
        let mut session = user
            .spawn_in_keychain_session(service, &script, log)
            .map_err(|e| format!("starting the session: {e}"))?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        // tauri-driver listens at once, but forwards to WebKitWebDriver,
        // which it starts beside itself: a session asked for before that
        // one listens fails with "connection refused".
        let listening = |p: u16| std::net::TcpStream::connect(("127.0.0.1", p)).is_ok();
        while !(listening(port) && listening(native_port)) {
            if !session.is_running() || Instant::now() > deadline {
                return Err(format!(
                    "tauri-driver did not start: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".to_owned(),
            serde_json::json!({
                "application": app,
                "args": ["--socket", service.socket],
            }),
        );
        capabilities.insert("browserName".to_owned(), "wry".into());
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&url)
            .await
            .map_err(|e| {
                format!(
                    "no WebDriver session: {e}\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            })?;
        Ok(Self {
            client,
            session,
            log: log.to_owned(),
        })
    }

    /// Waits (up to `timeout`) until `css` matches an element and returns it.
    pub async fn wait_for(
        &self,
        css: &str,
        timeout: Duration,
    ) -> Result<fantoccini::elements::Element, String> {
        self.client
            .wait()
            .at_most(timeout)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("{css} did not appear within {timeout:?}: {e}"))
    }

    /// Waits (up to `timeout`) until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.client.find_all(Locator::Css(css)).await {
                Ok(found) if found.is_empty() => return Ok(()),
                Ok(_) | Err(_) if Instant::now() > deadline => {
                    return Err(format!("{css} still there after {timeout:?}"))
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String, String> {
        let element = self.wait_for(css, Duration::from_secs(10)).await?;
        element.text().await.map_err(|e| format!("{css}: {e}"))
    }

    /// Saves a screenshot of the window as `dir/NAME.png`.
    pub async fn screenshot(&self, dir: &Path, name: &str) -> Result<PathBuf, String> {
        // WebKitGTK hands over the last frame it painted: let the page
        // paint what the test just did first.
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 150)));",
                Vec::new(),
            )
            .await
            .map_err(|e| format!("waiting for a frame: {e}"))?;
        tokio::time::sleep(Duration::from_millis(250)).await;
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| format!("screenshot: {e}"))?;
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| e.to_string())?;
        Ok(path)
    }

    /// Ends the WebDriver session (the app quits) and the keychain session.
    pub async fn close(self) -> String {
        let _ = self.client.close().await;
        drop(self.session);
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
