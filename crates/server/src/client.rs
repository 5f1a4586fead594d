//! Who is on the other end of a request: the client's address and whether
//! it came over HTTPS. kassa speaks plain HTTP; behind a reverse proxy the
//! peer is the proxy, so its `X-Forwarded-For` and `X-Forwarded-Proto` say
//! who the client is — believed only from the proxies the configuration
//! trusts (`Proxies`), since anyone can send the headers. The login limits
//! count the address; cookies are `Secure` over HTTPS.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Proxies;

/// The client of a request, as `resolve` found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    /// Came over HTTPS (as a trusted proxy says), or cookies are always `Secure`.
    pub secure: bool,
}

/// Middleware: works out the request's [`Client`] once, for every handler.
pub async fn resolve(State(proxies): State<Arc<Proxies>>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = client_of(&proxies, peer, req.headers());
    req.extensions_mut().insert(client);
    next.run(req).await
}

/// The client behind `peer`: when the peer is a trusted proxy, the nearest
/// address in `X-Forwarded-For` that is not one (or the farthest, if all
/// are). Without a connection address (a test's `oneshot`) the client is
/// unspecified.
pub fn client_of(proxies: &Proxies, peer: Option<IpAddr>, headers: &HeaderMap) -> Client {
    let trusted = |ip: &IpAddr| proxies.trusted.iter().any(|net| net.contains(ip));
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted(&peer) {
        return Client { ip: peer, secure: proxies.secure_cookies };
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    // Each proxy appends its peer: walk back from the last hop while the
    // hops are trusted proxies; what a client wrote itself is never reached.
    let mut ip = peer;
    for hop in hops.iter().rev() {
        let Ok(hop) = hop.parse::<IpAddr>() else { break };
        ip = hop;
        if !trusted(&hop) {
            break;
        }
    }
    // The first proxy (the one the browser reached) wrote the first value.
    let proto = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next());
    let https = proto.is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    Client { ip, secure: proxies.secure_cookies || https }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Client, Self::Rejection> {
        let fallback = || {
            let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            client_of(&Proxies::default(), peer, &parts.headers)
        };
        Ok(parts.extensions.get::<Client>().copied().unwrap_or_else(fallback))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies(nets: &[&str]) -> Proxies {
        Proxies { trusted: nets.iter().map(|n| n.parse().expect("net")).collect(), secure_cookies: false }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_headers_are_believed_only_from_trusted_proxies() {
        let h = headers(&[("x-forwarded-for", "203.0.113.7"), ("x-forwarded-proto", "https")]);
        let direct = client_of(&proxies(&[]), Some(ip("198.51.100.1")), &h);
        assert_eq!(direct, Client { ip: ip("198.51.100.1"), secure: false });
        let behind = client_of(&proxies(&["10.0.0.0/8"]), Some(ip("10.1.2.3")), &h);
        assert_eq!(behind, Client { ip: ip("203.0.113.7"), secure: true });
    }

    #[test]
    fn a_client_cannot_choose_its_address_through_a_trusted_proxy() {
        // The client sent its own X-Forwarded-For; the proxy appended the real peer.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7")]);
        let c = client_of(&proxies(&["10.0.0.0/8", "::1/128"]), Some(ip("10.0.0.1")), &h);
        assert_eq!(c.ip, ip("203.0.113.7"));
        // Two trusted hops: the address before them.
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "203.0.113.7, 10.9.9.9")]);
        assert_eq!(client_of(&proxies(&["10.0.0.0/8"]), Some(ip("10.0.0.1")), &h).ip, ip("203.0.113.7"));
        // Garbage ends the chain: the peer's own view wins.
        let h = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(client_of(&proxies(&["10.0.0.0/8"]), Some(ip("10.0.0.1")), &h).ip, ip("10.0.0.1"));
    }

    #[test]
    fn cookies_can_be_secure_always() {
        let p = Proxies { secure_cookies: true, ..Proxies::default() };
        assert!(client_of(&p, Some(ip("127.0.0.1")), &HeaderMap::new()).secure);
    }
}
