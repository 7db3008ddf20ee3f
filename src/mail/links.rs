//! Signed, expiring acknowledgement links: HMAC-SHA256 over the escalation id and the
//! expiry, so a link cannot be forged, altered or used after it lapses.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, escalation_id: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(format!("ack:{escalation_id}:{expires}").as_bytes());
        mac
    }

    pub fn sign(&self, escalation_id: &str, expires: i64) -> String {
        hex::encode(self.mac(escalation_id, expires).finalize().into_bytes())
    }

    /// Constant-time check of the signature, then of the expiry.
    pub fn verify(&self, escalation_id: &str, expires: i64, sig: &str, now: DateTime<Utc>) -> bool {
        let Ok(sig) = hex::decode(sig) else {
            return false;
        };
        self.mac(escalation_id, expires).verify_slice(&sig).is_ok() && now.timestamp() <= expires
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_its_own_links_until_they_expire() {
        let signer = LinkSigner::new(b"secret");
        let now = Utc::now();
        let exp = now.timestamp() + 60;
        let sig = signer.sign("e1", exp);
        assert!(signer.verify("e1", exp, &sig, now));
        assert!(!signer.verify("e2", exp, &sig, now), "another escalation");
        assert!(!signer.verify("e1", exp + 1, &sig, now), "altered expiry");
        assert!(
            !signer.verify("e1", exp, &sig, now + chrono::Duration::seconds(61)),
            "expired"
        );
        assert!(
            !LinkSigner::new(b"other").verify("e1", exp, &sig, now),
            "other key"
        );
    }
}
