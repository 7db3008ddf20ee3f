//! Middleware of every request: latency metrics per route pattern, and the request id
//! (from tracing-actix-web) echoed as `X-Request-Id` so a caller can quote it.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing_actix_web::RequestId;

/// Observes each request's duration by method, route pattern and status.
pub async fn metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    // The route pattern, never the raw path: bounded label values.
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    crate::metrics::HTTP_DURATION
        .with_label_values(&[method.as_str(), &route, res.status().as_str()])
        .observe(started.elapsed().as_secs_f64());
    Ok(res)
}

/// Adds `X-Request-Id` to every response.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let mut res = next.call(req).await?;
    if let Some(id) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(res)
}
