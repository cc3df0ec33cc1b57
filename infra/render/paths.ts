// Paths inside the HAProxy container. The whole directory is one bind mount of the stack's host
// directory (a directory, not single files: atomic rewrites replace the inode, and a single-file
// mount would keep serving the old one).
// Coupling: the local image (scripts/lib/images.sh) and the official haproxy image both use this layout.
export const HAPROXY_DIR = "/usr/local/etc/haproxy";
export const HAPROXY_CONFIG = `${HAPROXY_DIR}/haproxy.cfg`;
/** Userlist with the stats password; kept out of haproxy.cfg so previews can diff that file in the clear. */
export const HAPROXY_SECRETS = `${HAPROXY_DIR}/secrets.cfg`;
// The router's Lua, in haproxy.cfg's lua-load order: the rendered config table, then the two static
// modules (infra/lua/). Each is loaded by its own `lua-load`; the router needs both before it runs.
export const ROUTER_CONFIG_LUA = `${HAPROXY_DIR}/router-config.lua`;
export const JSON_LUA = `${HAPROXY_DIR}/json.lua`;
export const ROUTER_LUA = `${HAPROXY_DIR}/router.lua`;
// The publish hook (MediaMTX's auth hook), loaded after the router: its rendered config table, then the
// static module, which reaches the router through require("mtx.router").
export const PUBLISH_CONFIG_LUA = `${HAPROXY_DIR}/publish-config.lua`;
export const PUBLISH_LUA = `${HAPROXY_DIR}/publish.lua`;
/** stream → server name. Empty on disk; the router fills it at runtime with core.set_map. */
export const STREAMS_MAP = `${HAPROXY_DIR}/streams.map`;
/** Writable by the haproxy user: admin socket and server-state file. */
export const HAPROXY_RUN_DIR = `${HAPROXY_DIR}/run`;
export const ADMIN_SOCKET = `${HAPROXY_RUN_DIR}/admin.sock`;
export const SERVER_STATE_FILE = `${HAPROXY_RUN_DIR}/server-state`;
/**
 * The request log's Unix datagram socket: bound by the log sink (which mounts HAPROXY_RUN_DIR at the same
 * path), written by the gateway's `log` line.
 */
export const LOG_SOCKET = `${HAPROXY_RUN_DIR}/log.sock`;
/**
 * TLS (config key `tls`): the server certificate chain and its key in one PEM, as HAProxy's `crt` wants
 * it (a secret file), and the CA that signed it (the stack's own, or `tls.ca`) for status, smoke checks
 * and people to trust.
 */
export const TLS_CERT_FILE = `${HAPROXY_DIR}/tls/server.pem`;
export const TLS_CA_FILE = `${HAPROXY_DIR}/tls/ca.pem`;
/**
 * Publish and read credentials (config keys `publishers`, `readers`): user, salted SHA-256 of the
 * password and path prefixes, lua-loaded before publish.lua. A secret file: never in a preview.
 */
export const CREDENTIALS_LUA = `${HAPROXY_DIR}/credentials.lua`;
/** The log sink's own config, uploaded into the sink container (it never reads the gateway's files). */
export const LOG_SINK_CONFIG = `${HAPROXY_DIR}/log-sink.cfg`;

/** Inside every MediaMTX container: its config directory (bind mount), passed as the config path argument. */
export const MEDIAMTX_DIR = "/config";
export const MEDIAMTX_CONFIG = `${MEDIAMTX_DIR}/mediamtx.yml`;

/** A path inside HAPROXY_DIR, relative to it: the host directory mirrors HAPROXY_DIR file for file. */
export function inHaproxyDir(containerPath: string): string {
  if (!containerPath.startsWith(`${HAPROXY_DIR}/`)) {
    throw new Error(`inHaproxyDir: ${containerPath} is not inside ${HAPROXY_DIR}`);
  }
  return containerPath.slice(HAPROXY_DIR.length + 1);
}

/**
 * Inside each gateway host's keepalived container (the local image mediamtx-lb/keepalived): its config
 * directory, one bind mount of a host directory (a directory, as for HAProxy), and the config in it,
 * which the image's entrypoint passes to keepalived when given no `-f`. Not /etc/keepalived itself:
 * Debian's keepalived reads its build options from /etc/keepalived/keepalived.config-opts, and with
 * that file hidden by a mount `keepalived -t` fails ("Unable to read build config options file").
 * Couplings: CONFIG in scripts/lib/keepalived-entrypoint.sh.
 */
export const KEEPALIVED_DIR = "/etc/keepalived/mediamtx-lb";
export const KEEPALIVED_CONFIG = `${KEEPALIVED_DIR}/keepalived.conf`;
/**
 * Written by the image's entrypoint at start (`interface <name>`: the interface holding the config's
 * unicast_src_ip) and included inside the vrrp_instance, so the rendered config names no interface.
 * Couplings: INTERFACE_INCLUDE in scripts/lib/keepalived-entrypoint.sh.
 */
export const KEEPALIVED_INTERFACE_INCLUDE = "/run/keepalived/interface.conf";
/**
 * Written by the image's entrypoint before keepalived starts: `$PRIVATE_INTERFACE=<name>`, the interface
 * that holds the host's private address (the config's `$PRIVATE_SOURCE`), where the private floating
 * address goes.
 */
export const KEEPALIVED_PRIVATE_INTERFACE_INCLUDE = "/run/keepalived/private-interface.conf";
/**
 * The image's gateway check: exits 0 when 127.0.0.1:PORT accepts a TCP connection within 1 s.
 * Couplings: the path ensure_keepalived_image (scripts/lib/runtime.sh) installs keepalived-check.sh at.
 */
export const GATEWAY_CHECK = "/usr/local/bin/gateway-check";
