//! What a run cost, for the hostile-input corpus: with
//! `ECI_BRIDGE_RESOURCE_REPORT=PATH` set, the process writes its peak
//! resident memory and CPU time to PATH as JSON when it ends. The corpus
//! asserts memory bounds through it (counters, not wall-clock). Linux only:
//! elsewhere nothing is written.

/// Writes the report when asked for; errors are ignored (a test hook).
pub fn report() {
    let Some(path) = std::env::var_os("ECI_BRIDGE_RESOURCE_REPORT") else { return };
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    // /proc/self/stat: after the `(comm)` field, utime and stime are fields 11 and 12 (from 0), in ticks of 1/100 s.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    let cpu_ms = (ticks(11) + ticks(12)) * 10;
    let json = format!("{{\"peakRssKib\": {peak_rss_kib}, \"cpuMs\": {cpu_ms}}}\n");
    let _ = std::fs::write(path, json);
}
