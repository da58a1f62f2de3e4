//! What stands between an anonymous request and the server's resources:
//! the one outbound HTTP client ([`outbound`]), token-bucket rate limits
//! ([`rate`]), the bound on concurrent heavy work such as password hashing
//! and XML signature checks ([`heavy`]), and the client's address as the
//! operator's proxy reports it ([`client_ip`]), and the deadline on a
//! request body ([`deadline`]).

pub mod client_ip;
pub mod deadline;
pub mod heavy;
pub mod outbound;
pub mod rate;
