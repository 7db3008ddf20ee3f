//! Middleware of every request: latency metrics per route pattern, and the request id
//! (from tracing-actix-web) echoed as `X-Request-Id` so a caller can quote it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing_actix_web::RequestId;

use crate::error::AppError;

/// Refuses a request whose path or query carries a NUL character (`%00`): no id, code
/// or search contains one, and PostgreSQL cannot store or compare text with it.
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let uri = req.uri().to_string().to_ascii_lowercase();
    if uri.contains("%00") || uri.contains('\0') {
        let refused =
            AppError::BadRequest("the path and query must not contain NUL characters (%00)".into());
        return Ok(req.error_response(refused).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Observes each request's duration by method, route pattern and status.
pub async fn metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let method = method_label(req.method());
    let res = next.call(req).await?;
    // The route pattern, never the raw path: bounded label values.
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    crate::metrics::HTTP_DURATION
        .with_label_values(&[method, &route, res.status().as_str()])
        .observe(started.elapsed().as_secs_f64());
    Ok(res)
}

/// The method as a label: the standard ones by name, anything a client invents as
/// `other`, so label values stay bounded whatever arrives.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("other")
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
