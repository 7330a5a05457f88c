//! How an ElasticWorkload's replicas are split between the source workload
//! and its elastic units: numbers in, numbers out.
//!
//! The documented behaviour (docs/elastic.md#replica-split):
//! replicas up to the source's `max` stay in the source; "replicas exceeding
//! max are scheduled to elastic units in the order defined"; on scale-in
//! "elastic-unit replicas are removed first, keeping the source workload
//! replicas stable". The documented numbers are (R=6, source min 2 max 4) →
//! 4/2 and (R=6, min 0 max 2) → 2/4.
//!
//! The exact algorithm is not public. This split is:
//! 1. the source takes `min(R, source.max)` (all of R without a max);
//! 2. the rest goes to the units by OpenKruise UnitedDeployment's public
//!    elastic allocator (docs/elastic.md#uniteddeployment-allocator): in unit order each unit first gets up to its
//!    `min`, then, again in order, up to its `max`;
//! 3. what is left after every max is not placed (reported by the caller).
//!
//! It reproduces every documented example. It differs from running Kruise's
//! allocator over `[source, units…]` only when a unit has a `min`: Kruise
//! gives unit minimums before the source reaches its max, which would take
//! source replicas away on a scale-in while units still run (for R=5,
//! source 2..4, unit min 3 it gives 2/3 where R=6 gave 3/3). Filling the
//! source first keeps the documented rule: the source count only grows with
//! R, and units hold replicas only while the source is at its max. So a
//! unit's `min` is a priority among units (every unit's min is served, in
//! order, before any unit grows beyond its min), and the source's `min` is a
//! floor met whenever R allows — with R below it every replica is in the
//! source.

use serde::Serialize;

/// The bounds of the source or of one unit. `max: None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Bounds {
    /// Replicas the subset gets before later units get any.
    pub min: u32,
    /// Replicas the subset never exceeds.
    pub max: Option<u32>,
}

impl Bounds {
    /// Bounds with a max.
    pub fn new(min: u32, max: Option<u32>) -> Self {
        Bounds { min, max }
    }
}

/// The result of a split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Split {
    /// Replicas of the source workload.
    pub source: u32,
    /// Replicas of each unit, in unit order.
    pub units: Vec<u32>,
    /// Replicas beyond every max, not placed anywhere.
    pub unplaced: u32,
}

impl Split {
    /// Replicas placed in the source and the units.
    pub fn placed(&self) -> u32 {
        self.units.iter().fold(self.source, |sum, u| sum.saturating_add(*u))
    }
}

/// Splits `replicas` between the source and the units.
pub fn split(replicas: u32, source: Bounds, units: &[Bounds]) -> Split {
    let in_source = source.max.map_or(replicas, |max| replicas.min(max));
    let mut rest = replicas - in_source;
    let mut placed = vec![0u32; units.len()];
    // Pass 1: every unit's min, in order.
    for (given, bounds) in placed.iter_mut().zip(units) {
        let min = bounds.max.map_or(bounds.min, |max| bounds.min.min(max));
        let take = min.min(rest);
        *given += take;
        rest -= take;
    }
    // Pass 2: up to every unit's max, in order.
    for (given, bounds) in placed.iter_mut().zip(units) {
        let room = bounds.max.map_or(u32::MAX, |max| max.saturating_sub(*given));
        let take = room.min(rest);
        *given += take;
        rest -= take;
    }
    Split { source: in_source, units: placed, unplaced: rest }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unbounded() -> Bounds {
        Bounds::default()
    }

    #[test]
    fn documented_examples() {
        // R=6, source min 2 max 4 → source 4, unit 2.
        assert_eq!(split(6, Bounds::new(2, Some(4)), &[unbounded()]).units, [2]);
        assert_eq!(split(6, Bounds::new(2, Some(4)), &[unbounded()]).source, 4);
        // R=6, source min 0 max 2 → source 2, unit 4.
        let s = split(6, Bounds::new(0, Some(2)), &[unbounded()]);
        assert_eq!((s.source, s.units.as_slice()), (2, &[4][..]));
        // Scale-in 6 → 4 removes the unit's replicas first.
        let s = split(4, Bounds::new(2, Some(4)), &[unbounded()]);
        assert_eq!((s.source, s.units.as_slice()), (4, &[0][..]));
    }

    #[test]
    fn units_fill_in_order_and_mins_come_first() {
        let units = [Bounds::new(0, Some(3)), Bounds::new(2, Some(5))];
        let s = split(10, Bounds::new(0, Some(4)), &units);
        // 4 in the source; the second unit's min (2) first, then unit 1 to 3, then unit 2 to 3.
        assert_eq!((s.source, s.units.as_slice(), s.unplaced), (4, &[3, 3][..], 0));
        let s = split(5, Bounds::new(0, Some(4)), &units);
        assert_eq!(s.units, [0, 1]);
    }

    #[test]
    fn replicas_beyond_every_max_are_unplaced() {
        let s = split(20, Bounds::new(1, Some(4)), &[Bounds::new(0, Some(6))]);
        assert_eq!((s.source, s.units.as_slice(), s.unplaced, s.placed()), (4, &[6][..], 10, 10));
    }

    #[test]
    fn below_the_source_min_everything_stays_in_the_source() {
        let s = split(1, Bounds::new(2, Some(4)), &[Bounds::new(1, None)]);
        assert_eq!((s.source, s.units.as_slice()), (1, &[0][..]));
    }
}
