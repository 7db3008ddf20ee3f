//! For partial updates: tells a field sent as `null` (clear it) from one left out.

use serde::{Deserialize, Deserializer};

/// Use with `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>`:
/// left out → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
