//! The handling flow: reported → assessing → verifying → responding → evaluating →
//! closed, or dismissed with a reason before a response starts.

use crate::text_enum;

text_enum! {
    pub enum Status {
        Reported => "reported",
        Assessing => "assessing",
        Verifying => "verifying",
        Responding => "responding",
        Evaluating => "evaluating",
        Closed => "closed",
        Dismissed => "dismissed",
    }
}

impl Status {
    /// The statuses reachable from this one.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Reported => &[Assessing, Dismissed],
            // Verification may be skipped when the facts are not in doubt (e.g. a suggestion).
            Assessing => &[Verifying, Responding, Dismissed],
            Verifying => &[Responding, Dismissed],
            Responding => &[Evaluating],
            // Evaluation may find the response insufficient and send it back.
            Evaluating => &[Closed, Responding],
            Closed | Dismissed => &[],
        }
    }

    pub fn can_become(self, to: Status) -> bool {
        self.next().contains(&to)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Reported => "已登记",
            Status::Assessing => "研判中",
            Status::Verifying => "核实中",
            Status::Responding => "回应中",
            Status::Evaluating => "评估中",
            Status::Closed => "已办结",
            Status::Dismissed => "已排除",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Dismissed)
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;

    #[test]
    fn follows_the_handling_flow() {
        let flow = [
            Reported, Assessing, Verifying, Responding, Evaluating, Closed,
        ];
        for pair in flow.windows(2) {
            assert!(pair[0].can_become(pair[1]), "{} → {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn refuses_skips_and_reopening() {
        assert!(!Reported.can_become(Closed));
        assert!(!Reported.can_become(Responding));
        assert!(!Responding.can_become(Dismissed));
        assert!(!Closed.can_become(Responding));
        assert!(!Dismissed.can_become(Assessing));
        assert!(!Assessing.can_become(Assessing));
    }

    #[test]
    fn terminal_statuses_are_not_open() {
        assert!(!Closed.is_open() && !Dismissed.is_open());
        assert!(Reported.is_open() && Evaluating.is_open());
    }
}
