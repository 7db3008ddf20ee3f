//! What both front doors stand on, importing neither: the state every handler gets, the
//! cache of built views, conditional requests, the client's address, found tokens and
//! their revocation, the live feed and its event streams, and how the console signs
//! people in. `http/` (the JSON API) and `console/` (the pages) each import this, never
//! each other.

pub mod cache;
pub mod client;
pub mod conditional;
pub mod download;
pub mod feed;
pub mod session_policy;
pub mod state;
pub mod stream;
pub mod tokens;

pub use state::AppState;
