/*
 * pu_http.h - the one HTTP client of the bundled plugins (libcurl): every
 * plugin that speaks a service's HTTP API (kubernetes, vault-setup, minio,
 * gitea-repo, argocd-app) sends its requests through pu_http_request, so
 * TLS, timeouts, cancellation, size caps and error wording are the same
 * everywhere.  TLS verification is on unless a config turns it off by
 * name; certificates and keys may be files or PEM text in memory (a
 * kubeconfig's *-data fields); request bodies and credentials never reach
 * a log line.
 */
#ifndef INN_PU_HTTP_H
#define INN_PU_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <innominatus/plugin.h>

/* Where and how to connect.  Zero-initialise, then set what applies.
 * Every string is borrowed for the duration of the call. */
typedef struct pu_http_conf {
	const char *base_url;        /* "https://host:port[/prefix]", no trailing '/' needed */
	const char *ca_file;         /* PEM bundle file; NULL: the system store */
	const char *ca_pem;          /* PEM text (wins over ca_file) */
	const char *cert_file, *key_file; /* client certificate and key (PEM files) */
	const char *cert_pem, *key_pem;   /* the same as PEM text (win over the files) */
	int insecure;                /* non-zero: no peer/host verification (explicit only) */
	const char *bearer;          /* "Authorization: Bearer <bearer>" */
	const char *const *headers;  /* extra "Name: value" lines, NULL-terminated */
	const char *aws_sigv4;       /* e.g. "aws:amz:us-east-1:s3": sign with userpwd */
	const char *userpwd;         /* "user:password" (basic auth, or SigV4 keys) */
	int64_t timeout_ms;          /* per request; 0: 30 s.  Never past the step deadline */
	int64_t connect_timeout_ms;  /* 0: 10 s */
	size_t max_body;             /* response body cap; 0: 16 MiB */
	const char *what;            /* for messages: "Kubernetes API", "Vault", "S3" */
} pu_http_conf;

/* What came back. */
typedef struct pu_http_resp {
	long status;                 /* HTTP status, 0 if no response */
	char *body;                  /* NUL-terminated (may hold NULs before len) */
	size_t len;
	char *headers;               /* raw response header lines of the final response */
	char err[512];               /* why, when the call failed */
} pu_http_resp;

/*
 * Sends one request: method ("GET", "PUT", ...), path (appended to
 * base_url; starts with '/', already escaped, may carry "?query"),
 * content_type (NULL: none) and body (NULL: none; len bytes).  Returns
 * INN_OK when a response arrived, whatever its status; otherwise
 * INN_ECANCELLED (the step was cancelled), INN_ETIMEOUT (the request or
 * step deadline passed), INN_ETOOBIG (the body passed max_body) or
 * INN_ERROR (cannot resolve/connect, TLS failure ...) with a one-line
 * reason in resp->err such as "Vault at https://127.0.0.1:8200: TLS
 * certificate verification failed: <curl's detail>".  resp is always
 * initialised; free it with pu_http_resp_free.
 */
int pu_http_request(const inn_host *host, inn_step *step, const pu_http_conf *conf,
                    const char *method, const char *path, const char *content_type,
                    const char *body, size_t len, pu_http_resp *resp);
void pu_http_resp_free(pu_http_resp *resp);

/* The value of response header name (case-insensitive), copied into buf;
 * returns 0, or -1 when absent. */
int pu_http_header(const pu_http_resp *resp, const char *name, char *buf, size_t len);

/* Percent-encodes s for a URL path segment or query value (RFC 3986
 * unreserved characters stay).  malloc'd; NULL when out of memory. */
char *pu_url_escape(const char *s);

/* A short, single-line excerpt of an error body for a step error (the
 * "message" of a JSON error, the <Code>/<Message> of an S3 XML error, else
 * the first line, at most 200 bytes); written into buf. */
void pu_http_error_excerpt(const pu_http_resp *resp, char *buf, size_t len);

#endif /* INN_PU_HTTP_H */
