/**
 * HashiCorp Vault's KV version 2 engine as an upstream, logged in through Vault's Kubernetes auth
 * method with the operator's ServiceAccount token.
 *
 * <p>Vault's HTTP API is called through the JDK's HttpClient and Jackson (both already on the class
 * path), not a Vault client library: the one maintained Java client on Maven Central,
 * spring-vault-core, brings Spring Framework (spring-core, spring-beans, spring-web) into an
 * operator that has none, for five endpoints (Kubernetes login, KV v2 read, sys/internal/ui/mounts,
 * sys/capabilities-self, sys/health). The older community drivers (com.bettercloud, jopenlibs) are
 * not in the approved package list.
 *
 * <p>Nothing outside this package and the command line's backend options may use it (the
 * layering test holds that).
 */
package sites.deco.buildsecrets.source.vault;
