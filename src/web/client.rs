//! Who is calling, by address. `X-Forwarded-For` is written by whoever sends the request,
//! so it is believed only when the peer is one of `server.trusted_proxies`; then the
//! client is the nearest address in it that is not a proxy of ours.

use std::net::IpAddr;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::web;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// `server.trusted_proxies`, for the request's span.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpAddr>);

/// The client's address: the peer, or, when the peer is a trusted proxy, the last
/// address in `forwarded_for` (read from the right) that is not a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = forwarded_for
        .unwrap_or("")
        .split(',')
        .filter_map(|hop| hop.trim().parse().ok())
        .collect();
    Some(
        hops.iter()
            .rev()
            .find(|hop| !trusted.contains(hop))
            .or(hops.first())
            .copied()
            .unwrap_or(peer),
    )
}

/// The request span, with `http.client_ip` from `client_ip` (tracing-actix-web's own
/// span believes any `X-Forwarded-For`).
pub struct ClientSpan;

impl RootSpanBuilder for ClientSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let trusted = request
            .app_data::<web::Data<TrustedProxies>>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip = client_ip(request.peer_addr().map(|a| a.ip()), forwarded, &trusted)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.uri().path(),
            http.client_ip = %ip,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        // Anyone may write the header: from an untrusted peer it is ignored.
        assert_eq!(
            client_ip(Some(ip("192.0.2.7")), Some("6.6.6.6"), &trusted),
            Some(ip("192.0.2.7"))
        );
        assert_eq!(
            client_ip(Some(ip("192.0.2.7")), Some("6.6.6.6"), &[]),
            Some(ip("192.0.2.7"))
        );
        // Behind our proxies: the nearest address that is not one of them; what the
        // client itself put further left does not count.
        assert_eq!(
            client_ip(
                Some(proxy),
                Some("6.6.6.6, 198.51.100.9, 10.0.0.3"),
                &trusted
            ),
            Some(ip("198.51.100.9"))
        );
        assert_eq!(client_ip(Some(proxy), None, &trusted), Some(proxy));
        assert_eq!(client_ip(Some(proxy), Some("junk"), &trusted), Some(proxy));
    }
}
