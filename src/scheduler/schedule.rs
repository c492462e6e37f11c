//! When an importer runs. `updateFrequency {unit, value}` means every `value` units
//! (`null`: daily); a month is 30 days. Each importer runs on its own slots, shifted
//! by a phase derived from its id (Jenkins' `H`): 1,000 daily importers created in
//! the same second spread over the whole day instead of firing together, and the
//! slots stay put across restarts. A new importer runs at once; after that, the
//! next run is the first slot at least half a period after the last one started.

use sha2::{Digest, Sha256};

use crate::importer::{FrequencyUnit, UpdateFrequency};

const HOUR_MS: i64 = 3_600_000;

pub fn period_ms(freq: Option<UpdateFrequency>) -> i64 {
    let Some(f) = freq else { return 24 * HOUR_MS };
    let unit = match f.unit {
        FrequencyUnit::Hourly => HOUR_MS,
        FrequencyUnit::Daily => 24 * HOUR_MS,
        FrequencyUnit::Weekly => 7 * 24 * HOUR_MS,
        FrequencyUnit::Monthly => 30 * 24 * HOUR_MS,
    };
    unit.saturating_mul(i64::from(f.value.max(1)))
}

/// The importer's offset within its period, from a hash of its id.
pub fn phase_ms(id: &str, period: i64) -> i64 {
    let digest = Sha256::digest(id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let n = u64::from_be_bytes(first) % u64::try_from(period.max(1)).unwrap_or(1);
    i64::try_from(n).unwrap_or(0)
}

/// The first slot of `id` at or after `t`.
pub fn slot_at_or_after(id: &str, period: i64, t: i64) -> i64 {
    let phase = phase_ms(id, period);
    let k = (t - phase).div_euclid(period) + i64::from((t - phase).rem_euclid(period) != 0);
    phase.saturating_add(k.saturating_mul(period))
}

/// When the importer should run next, given when its last run started.
pub fn next_run(id: &str, freq: Option<UpdateFrequency>, last_start: Option<i64>, now: i64) -> i64 {
    let period = period_ms(freq);
    match last_start {
        None => now,
        Some(started) => slot_at_or_after(id, period, started.saturating_add(period / 2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every(unit: FrequencyUnit, value: u32) -> Option<UpdateFrequency> {
        Some(UpdateFrequency { unit, value })
    }

    #[test]
    fn periods_follow_unit_and_value_and_default_to_daily() {
        assert_eq!(period_ms(every(FrequencyUnit::Hourly, 3)), 3 * HOUR_MS);
        assert_eq!(
            period_ms(every(FrequencyUnit::Weekly, 2)),
            14 * 24 * HOUR_MS
        );
        assert_eq!(
            period_ms(every(FrequencyUnit::Monthly, 1)),
            30 * 24 * HOUR_MS
        );
        assert_eq!(period_ms(None), 24 * HOUR_MS);
    }

    #[test]
    fn slots_are_one_period_apart_and_after_the_asked_time() {
        let period = 3 * HOUR_MS;
        let t = 1_700_000_123_456;
        let s = slot_at_or_after("imp", period, t);
        assert!(s >= t && s < t + period);
        assert_eq!((s - phase_ms("imp", period)).rem_euclid(period), 0);
        assert_eq!(slot_at_or_after("imp", period, s), s);
        assert_eq!(slot_at_or_after("imp", period, s + 1), s + period);
    }

    #[test]
    fn steady_runs_are_exactly_one_period_apart() {
        let freq = every(FrequencyUnit::Hourly, 3);
        let first = next_run("a", freq, Some(1_700_000_000_000), 0);
        let second = next_run("a", freq, Some(first), 0);
        let third = next_run("a", freq, Some(second), 0);
        assert_eq!((second - first, third - second), (3 * HOUR_MS, 3 * HOUR_MS));
        assert_eq!(
            next_run("a", freq, None, 42),
            42,
            "a new importer runs at once"
        );
    }

    #[test]
    fn a_thousand_daily_importers_spread_over_the_day() {
        let day = period_ms(None);
        let mut per_minute = std::collections::HashMap::new();
        for i in 0..1000 {
            let id = uuid::Uuid::now_v7().to_string() + &i.to_string();
            *per_minute.entry(phase_ms(&id, day) / 60_000).or_insert(0) += 1;
        }
        let busiest = per_minute.values().max().copied().unwrap_or(0);
        assert!(
            per_minute.len() > 600,
            "only {} distinct minutes",
            per_minute.len()
        );
        // 1,000 ids over 1,440 minutes is about 0.7 a minute: a minute with 10 or
        // more happens by chance about once in 200,000 runs, while phases that
        // cluster (a poor hash, the v7 ids' shared time prefix) make dozens.
        assert!(busiest <= 9, "{busiest} importers in one minute");
    }
}
