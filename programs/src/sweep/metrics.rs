//! What a sweep records per point: any numeric field of the run's statistics JSON by its
//! dotted path (`cycles`, `mac.lane_utilisation`, `bytes.dram_read`, ... — the fields of
//! `bitloom run --stats-json`), plus MAC-array figures derived from them.
//!
//! The statistics' `tops` and `tops_per_watt` cover the whole program: loading the layer
//! from DRAM, the scalar core, static power while the DMA works. The papers' peak figures
//! are the array's own, so three derived metrics look at the MAC array alone:
//!
//! ```text
//! t_mac              = units.mac.busy_cycles / (clock_mhz · 10^6)
//! mac_tops           = 2 · mac.macs / t_mac / 10^12            (dense-equivalent, as `tops`)
//! mac_power_mw       = (energy.mac_uj · 10^-6 + static_mw · 10^-3 · t_mac) / t_mac · 10^3
//! mac_tops_per_watt  = mac_tops / (mac_power_mw · 10^-3)
//! ```
//!
//! `static_mw` is the point's hardware `energy.static_mw`.

use bitloom_emu::hw::HwConfig;
use bitloom_emu::stats::Stats;
use serde_json::Value;

/// The derived metrics (see the module comment).
pub const DERIVED: &[&str] = &["mac_tops", "mac_power_mw", "mac_tops_per_watt"];

/// One line saying what a metric may be, for error messages.
pub const HINT: &str = "a numeric field of the --stats-json output by dotted path, e.g. \
                        `cycles`, `mac.lane_utilisation`, `bytes.dram_read`, or one of \
                        mac_tops, mac_power_mw, mac_tops_per_watt";

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// Whether `name` is a metric (a numeric statistics field or a derived one).
pub fn is_metric(name: &str) -> bool {
    if DERIVED.contains(&name) {
        return true;
    }
    let v = serde_json::to_value(Stats::default()).unwrap_or(Value::Null);
    lookup(&v, name).is_some_and(|x| x.is_number())
}

/// The values of `names` for a run's statistics on `hw`, in order.
pub fn extract(stats: &Stats, hw: &HwConfig, names: &[String]) -> Vec<(String, f64)> {
    let v = serde_json::to_value(stats).unwrap_or(Value::Null);
    let t_mac = stats.units.mac.busy_cycles as f64 / (stats.clock_mhz * 1e6);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let mac_tops = ratio(2.0 * stats.mac.macs as f64, t_mac) * 1e-12;
    let mac_power_mw = ratio(
        stats.energy.mac_uj * 1e-6 + hw.energy.static_mw * 1e-3 * t_mac,
        t_mac,
    ) * 1e3;
    names
        .iter()
        .map(|n| {
            let x = match n.as_str() {
                "mac_tops" => mac_tops,
                "mac_power_mw" => mac_power_mw,
                "mac_tops_per_watt" => ratio(mac_tops, mac_power_mw * 1e-3),
                _ => lookup(&v, n).and_then(Value::as_f64).unwrap_or(f64::NAN),
            };
            (n.clone(), x)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names() {
        for ok in [
            "cycles",
            "mac.lane_utilisation",
            "bytes.dram_read",
            "units.mac.busy_cycles",
            "mac.skipped.ineffectual_bit",
            "mac_tops",
        ] {
            assert!(is_metric(ok), "{ok}");
        }
        for bad in ["cycle", "mac", "units.mac", "model", "mac.lanes", ""] {
            assert!(!is_metric(bad), "{bad}");
        }
    }

    #[test]
    fn derived_by_hand() {
        let mut s = Stats {
            clock_mhz: 100.0,
            ..Stats::default()
        };
        s.units.mac.busy_cycles = 1000; // 10 µs
        s.mac.macs = 5_000_000; // 1e7 ops / 1e-5 s = 1e12 ops/s = 1 TOPS
        s.energy.mac_uj = 0.5; // 0.5 µJ / 10 µs = 50 mW
        let mut hw = HwConfig::default();
        hw.energy.static_mw = 10.0;
        let names: Vec<String> = ["mac_tops", "mac_power_mw", "mac_tops_per_watt", "cycles"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = extract(&s, &hw, &names);
        let want = [1.0, 60.0, 1.0 / 0.06, 0.0];
        for ((n, g), w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9 * w.max(1.0), "{n}: {g} vs {w}");
        }
    }
}
