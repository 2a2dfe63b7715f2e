package sites.deco.buildsecrets.controller;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.sync.LeanSecret;

/**
 * An informer cache that keeps only what the operator reads, in as little memory as it takes. It
 * drops {@code metadata.managedFields} from everything: the operator never reads them, and with
 * 10,000 namespaces they are a large share of what the caches hold (the same reason
 * controller-runtime offers TransformStripManagedFields). Updates stay safe: a PUT without
 * managedFields leaves the server's record of field managers as it was.
 *
 * <p>Secrets keep no data at all ({@link LeanSecret}): their keys and a salted digest of their
 * data, computed as each object enters the cache, decide every plan.
 *
 * <p>What is kept is compacted: labels and annotations become immutable maps, empty lists and maps
 * become the shared empty ones, and the strings every site repeats (apiVersion, kind, type, the
 * Secret's name, label values, short annotation values) are shared. Cached objects are read-only:
 * every write is built from a copy ({@code new SecretBuilder(cached)} copies each map).
 */
final class LeanItemStore<T extends HasMetadata> extends BasicItemStore<T> {
  /** Longer annotation values (digests, version ids, last-applied configurations) are never shared. */
  private static final int SHARED_VALUE_MAX = 24;

  private final UnaryOperator<T> trim;

  private LeanItemStore(UnaryOperator<T> trim) {
    super(Cache::metaNamespaceKeyFunc);
    this.trim = trim;
  }

  /**
   * Secrets lose their values: what stays is the metadata (marks and resourceVersion, which a
   * rewrite carries), the type, and what the data was as it arrived ({@link LeanSecret}).
   */
  static LeanItemStore<Secret> forSecrets() {
    return new LeanItemStore<>(secret -> {
      Secret lean = LeanSecret.of(secret);
      lean.setKind(shared(lean.getKind()));
      lean.setType(shared(lean.getType()));
      lean.getMetadata().setName(shared(lean.getMetadata().getName()));
      lean.setAdditionalProperties(compact(lean.getAdditionalProperties()));
      return lean;
    });
  }

  /**
   * Namespaces keep what a site is read from: the name, uid, resourceVersion, deletion timestamp and
   * the annotations the operator reads. Their spec (finalizers), status (phase), labels, creation
   * time and other annotations are dropped: the operator never writes a Namespace, and a cluster's
   * namespaces often carry large annotations (a last-applied configuration, GitOps tracking).
   */
  static LeanItemStore<Namespace> forNamespaces(Naming naming) {
    Set<String> read =
        Set.copyOf(List.of(naming.managedAnnotation(), naming.syncAnnotation(), Naming.DELETION_APPROVAL_ANNOTATION));
    return new LeanItemStore<>(namespace -> {
      namespace.setSpec(null);
      namespace.setStatus(null);
      namespace.setKind(shared(namespace.getKind()));
      namespace.setAdditionalProperties(compact(namespace.getAdditionalProperties()));
      ObjectMeta meta = namespace.getMetadata();
      meta.setLabels(null);
      meta.setCreationTimestamp(null);
      if (meta.getAnnotations() != null) {
        Map<String, String> kept = new HashMap<>(meta.getAnnotations());
        kept.keySet().retainAll(read);
        meta.setAnnotations(kept);
      }
      return namespace;
    });
  }

  @Override
  public T put(String key, T obj) {
    obj.getMetadata().setManagedFields(null);
    T lean = trim.apply(obj);
    lean.setApiVersion(shared(lean.getApiVersion()));
    compact(lean.getMetadata());
    return super.put(key, lean);
  }

  private static void compact(ObjectMeta meta) {
    meta.setLabels(compactStrings(meta.getLabels()));
    meta.setAnnotations(compactStrings(meta.getAnnotations()));
    meta.setFinalizers(compact(meta.getFinalizers()));
    meta.setOwnerReferences(compact(meta.getOwnerReferences()));
    meta.setAdditionalProperties(compact(meta.getAdditionalProperties()));
  }

  /** Immutable, with short values shared; a map holding a null stays as it is (Map.copyOf refuses nulls). */
  private static Map<String, String> compactStrings(Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return map == null ? null : Map.of();
    }
    if (map.containsKey(null) || map.containsValue(null)) {
      return map;
    }
    Map<String, String> copy = new HashMap<>(map.size() * 2);
    map.forEach((k, v) -> copy.put(shared(k), v.length() <= SHARED_VALUE_MAX ? shared(v) : v));
    return Map.copyOf(copy);
  }

  private static <V> Map<String, V> compact(Map<String, V> map) {
    return map != null && map.isEmpty() ? Map.of() : map;
  }

  private static <E> List<E> compact(List<E> list) {
    return list != null && list.isEmpty() ? List.of() : list;
  }

  /** The JVM's one copy of {@code s}: repeated once per site otherwise. Interned strings are collected when unused. */
  private static String shared(String s) {
    return s == null ? null : s.intern();
  }
}
