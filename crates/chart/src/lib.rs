//! Helm v3 charts: loading, values coalescing, Helm's template functions and rendering to manifests exactly as helm template does.
