package sites.deco.buildsecrets.config;

import java.util.Map;
import java.util.Optional;

/**
 * The names the operator and its tenants agree on. Defaults are the Go operator's, so both can
 * run side by side and a Secret written by one is recognised by the other.
 *
 * @param namespacePrefix a namespace {@code <prefix><site>} is a site namespace
 * @param keyTemplate upstream key, with {@code {site}} replaced by the site name
 * @param secretName the Secret written in each site namespace
 * @param managedAnnotation Namespace annotation that opts a site in when it equals {@link #OPT_IN_VALUE}
 * @param syncAnnotation Namespace annotation whose every change forces a fresh upstream read
 * @param versionAnnotation Secret annotation holding the upstream version id last written
 * @param managedByLabel ownership label (key and value), first of two
 * @param featureLabel ownership label (key and value), second of two
 */
public record Naming(
    String namespacePrefix,
    String keyTemplate,
    String secretName,
    String managedAnnotation,
    String syncAnnotation,
    String versionAnnotation,
    Label managedByLabel,
    Label featureLabel) {

  public static final String OPT_IN_VALUE = "enabled";
  public static final String SITE_PLACEHOLDER = "{site}";
  /**
   * Secret annotation holding a salted digest of the data as last written ({@code DataDigest}): drift
   * made while no operator was watching shows without an upstream read.
   */
  public static final String DIGEST_ANNOTATION = "deco.sites/build-secrets-digest";
  /**
   * Namespace annotation that lets one deletion pass the fleet-wide deletion budget. Its value must
   * be the UID of the managed Secret to delete, so a blanket annotation, a stale approval or a
   * typo approves nothing. Fixed on purpose: a mistyped opt-in flag cannot also mistype this.
   */
  public static final String DELETION_APPROVAL_ANNOTATION = "deco.sites/build-secrets-deletion-approved";

  public static final Naming DEFAULTS =
      new Naming(
          "sites-",
          "sites/{site}/build",
          "build-secrets",
          "deco.sites/build-secrets-managed",
          "deco.sites/build-secrets-sync",
          "deco.sites/build-secrets-version",
          new Label("deco.sites/managed-by", "operator"),
          new Label("deco.sites/feature", "build-secrets"));

  public Naming {
    if (!keyTemplate.contains(SITE_PLACEHOLDER)) {
      throw new IllegalArgumentException(
          "key template '" + keyTemplate + "' must contain " + SITE_PLACEHOLDER);
    }
    if (namespacePrefix.isEmpty()) {
      throw new IllegalArgumentException("namespace prefix must not be empty");
    }
  }

  /** A label key and the value that marks ownership. */
  public record Label(String key, String value) {
    /** Parses {@code key=value}. */
    public static Label parse(String text) {
      int eq = text.indexOf('=');
      if (eq <= 0 || eq == text.length() - 1) {
        throw new IllegalArgumentException("'" + text + "' is not a label: use key=value");
      }
      return new Label(text.substring(0, eq), text.substring(eq + 1));
    }

    @Override
    public String toString() {
      return key + "=" + value;
    }
  }

  /** The site a namespace stands for, or empty when it is not a site namespace. */
  public Optional<String> siteOf(String namespace) {
    if (namespace == null || !namespace.startsWith(namespacePrefix)) {
      return Optional.empty();
    }
    String site = namespace.substring(namespacePrefix.length());
    return site.isEmpty() ? Optional.empty() : Optional.of(site);
  }

  public String upstreamKey(String site) {
    return keyTemplate.replace(SITE_PLACEHOLDER, site);
  }

  /**
   * The site whose upstream key this is, or empty when the key does not fit the key template (the
   * inverse of {@link #upstreamKey}; a change event names a key, the operator needs its namespace).
   */
  public Optional<String> siteOfKey(String key) {
    int at = keyTemplate.indexOf(SITE_PLACEHOLDER);
    String before = keyTemplate.substring(0, at);
    String after = keyTemplate.substring(at + SITE_PLACEHOLDER.length());
    if (key == null || key.length() <= before.length() + after.length()
        || !key.startsWith(before) || !key.endsWith(after)) {
      return Optional.empty();
    }
    String site = key.substring(before.length(), key.length() - after.length());
    return upstreamKey(site).equals(key) ? Optional.of(site) : Optional.empty();
  }

  /** The fixed part of every upstream key, before the site: a name-prefix filter for listings. */
  public String upstreamKeyPrefix() {
    return keyTemplate.substring(0, keyTemplate.indexOf(SITE_PLACEHOLDER));
  }

  public Map<String, String> ownershipLabels() {
    return Map.of(managedByLabel.key(), managedByLabel.value(), featureLabel.key(), featureLabel.value());
  }

  /** True only when both ownership labels are present with their values. */
  public boolean isOwned(Map<String, String> labels) {
    return labels != null
        && managedByLabel.value().equals(labels.get(managedByLabel.key()))
        && featureLabel.value().equals(labels.get(featureLabel.key()));
  }
}
