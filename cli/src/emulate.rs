//! `eci-bridge emulate`: flags in, the emulator daemon's settings out. The
//! model is `eci_bridge_emulator`; the socket is `eci_bridge_daemon::emulate`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use eci_bridge_daemon::emulate::EmulateConfig;
use eci_bridge_emulator::Config;
use eci_bridge_emulator::auth::AccessKey;
use eci_bridge_emulator::scenario::Scenario;

/// The AccessKey accepted when none is given (printed at start).
pub const DEFAULT_ACCESS_KEY_ID: &str = "emulator";
/// Its secret.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "emulator-secret";

/// Flags of `eci-bridge emulate`.
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Address to serve (plain HTTP unless a certificate is given).
    #[arg(long, default_value = "127.0.0.1:18080")]
    listen: SocketAddr,
    /// The AccessKey ID accepted (`emulator` when omitted).
    #[arg(long)]
    access_key_id: Option<String>,
    /// A file holding the AccessKey secret (`emulator-secret` when omitted).
    #[arg(long)]
    access_key_secret_file: Option<PathBuf>,
    /// Require this STS token (`SecurityToken` / `x-acs-security-token`).
    #[arg(long)]
    security_token: Option<String>,
    /// The region served.
    #[arg(long, default_value = "cn-hangzhou")]
    region: String,
    /// Its zones, comma-separated (`<region>-a,<region>-b` when omitted).
    #[arg(long, value_delimiter = ',')]
    zones: Vec<String>,
    /// Stock, quota, rate limits, timings, exits, spot and faults (YAML; see README).
    #[arg(long)]
    faults: Option<PathBuf>,
    /// Seed of every random fault.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Virtual seconds per wall second (the lifecycle's speed).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// PEM certificate: serve HTTPS.
    #[arg(long, requires = "tls_key_file")]
    tls_cert_file: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, requires = "tls_cert_file")]
    tls_key_file: Option<PathBuf>,
}

/// Runs the emulator until SIGTERM.
pub fn emulate(args: EmulateArgs) -> Result<ExitCode, String> {
    if !(args.time_scale > 0.0 && args.time_scale <= 1e6) {
        return Err("error: --time-scale must be above 0 and at most 1000000".into());
    }
    let scenario = match &args.faults {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {}: {e}", path.display()))?;
            Scenario::parse(&text).map_err(|e| format!("error[scenario]: {}: {e}", path.display()))?
        }
        None => Scenario::default(),
    };
    let secret = match &args.access_key_secret_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("error: cannot read {}: {e}", path.display()))?
            .trim()
            .to_string(),
        None => DEFAULT_ACCESS_KEY_SECRET.to_string(),
    };
    if secret.is_empty() {
        return Err("error: the AccessKey secret file is empty".into());
    }
    let id = args.access_key_id.clone().unwrap_or_else(|| DEFAULT_ACCESS_KEY_ID.to_string());
    if args.access_key_secret_file.is_none() {
        eprintln!(
            "accepting AccessKey `{id}` with the built-in secret `{DEFAULT_ACCESS_KEY_SECRET}` (set --access-key-secret-file for another)"
        );
    }
    let zones = if args.zones.is_empty() {
        vec![format!("{}-a", args.region), format!("{}-b", args.region)]
    } else {
        args.zones.clone()
    };
    let emulator = Config {
        region: args.region.clone(),
        zones,
        keys: vec![AccessKey { id, secret, security_token: args.security_token.clone() }],
        scenario,
        seed: args.seed,
    };
    let tls = args.tls_cert_file.zip(args.tls_key_file);
    let config = EmulateConfig { listen: args.listen, tls, emulator, time_scale: args.time_scale };
    eci_bridge_daemon::emulate::emulate(config).map_err(|e| format!("error: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
