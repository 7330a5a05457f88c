//! `eci-bridge simulate`: the provider engine against the ECI emulator's
//! state machine, in-process and in virtual time (`eci_bridge_sim`).

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use eci_bridge_emulator::scenario::Scenario;
use eci_bridge_sim::{FaultProfile, SimConfig, replay_command, simulate, simulate_in};

/// Faults of the simulated world.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Profile {
    /// Nothing goes wrong.
    None,
    /// A few lost and refused calls, rare restarts.
    Mild,
    /// Lost and refused calls, latency, zone outages (NoStock), spot
    /// reclaims, engine restarts, clock jumps, pods removed without grace.
    Harsh,
}

/// What to print.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per seed.
    Text,
    /// One JSON object per seed.
    Json,
}

/// Flags of `eci-bridge simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The first seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Seeds to run, from --seed on.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Pods created over a run.
    #[arg(long, default_value_t = 20)]
    pods: usize,
    /// Virtual seconds per run.
    #[arg(long, default_value_t = 1800)]
    duration: i64,
    /// The faults.
    #[arg(long, value_enum, default_value = "harsh")]
    fault_profile: Profile,
    /// An emulator scenario file (stock, quota, zone outages, spot, exits,
    /// timings) for the simulated region instead of the profile's; the
    /// profile still decides the faults of the engine's calls.
    #[arg(long)]
    faults: Option<std::path::PathBuf>,
    /// Output.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    output: Format,
}

/// Runs the seeds; exit 2 at the first broken invariant, with its replay.
pub fn run(args: SimulateArgs) -> Result<ExitCode, String> {
    if args.pods == 0 || args.pods > 100_000 || !(60..=30 * 86_400).contains(&args.duration) {
        return Err("error: --pods must be 1 to 100000 and --duration 60 to 2592000 seconds".into());
    }
    let profile = match args.fault_profile {
        Profile::None => FaultProfile::None,
        Profile::Mild => FaultProfile::Mild,
        Profile::Harsh => FaultProfile::Harsh,
    };
    let world = match &args.faults {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {}: {e}", path.display()))?;
            Some(Scenario::parse(&text).map_err(|e| format!("error[scenario]: {}: {e}", path.display()))?)
        }
        None => None,
    };
    for seed in args.seed..args.seed.saturating_add(args.seeds) {
        let config = SimConfig { seed, pods: args.pods, duration_seconds: args.duration, profile };
        let report = match &world {
            Some(world) => simulate_in(config, world.clone()),
            None => simulate(config),
        };
        match args.output {
            Format::Json => println!("{}", serde_json::json!({"config": config, "report": report})),
            Format::Text => println!(
                "seed {seed}: {} calls, {} lost, {} refused, {} restarts ({} pods listed late), {} clock jumps, {} pods ({} deleted): {}",
                report.calls,
                report.lost,
                report.refused,
                report.restarts,
                report.late_pods,
                report.clock_jumps,
                report.pods_created,
                report.pods_deleted,
                report.violation.as_deref().unwrap_or("every invariant held")
            ),
        }
        if let Some(violation) = &report.violation {
            let file = args.faults.as_ref().map(|f| format!(" --faults {}", f.display())).unwrap_or_default();
            eprintln!("error[invariant]: seed {seed}: {violation}\n  = replay: {}{file}", replay_command(&config));
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}
