package sites.deco.buildsecrets.sync;

import java.util.TreeSet;
import sites.deco.buildsecrets.source.SecretData;

/** Which keys a change adds, removes or changes: the most any message says about data. */
public record KeyDiff(TreeSet<String> added, TreeSet<String> removed, TreeSet<String> changed) {

  public static KeyDiff between(SecretData before, SecretData after) {
    TreeSet<String> added = new TreeSet<>(), removed = new TreeSet<>(), changed = new TreeSet<>();
    after.base64().forEach(
        (k, v) -> {
          String old = before.base64().get(k);
          if (old == null) added.add(k);
          else if (!old.equals(v)) changed.add(k);
        });
    before.base64().keySet().stream().filter(k -> !after.base64().containsKey(k)).forEach(removed::add);
    return new KeyDiff(added, removed, changed);
  }

  /** The same, against data known only as observed ({@link DataDigest.Observed}): changed values are told by digest. */
  public static KeyDiff between(DataDigest.Observed before, SecretData after) {
    TreeSet<String> added = new TreeSet<>(), removed = new TreeSet<>(), changed = new TreeSet<>();
    TreeSet<String> had = before.keySet();
    after.base64().forEach(
        (k, v) -> {
          if (!had.contains(k)) added.add(k);
          else if (before.valueChanged(k, v)) changed.add(k);
        });
    had.stream().filter(k -> !after.base64().containsKey(k)).forEach(removed::add);
    return new KeyDiff(added, removed, changed);
  }

  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
  }

  @Override
  public String toString() {
    if (isEmpty()) {
      return "no key changed";
    }
    StringBuilder out = new StringBuilder();
    if (!added.isEmpty()) out.append("added ").append(added);
    if (!removed.isEmpty()) out.append(out.isEmpty() ? "" : ", ").append("removed ").append(removed);
    if (!changed.isEmpty()) out.append(out.isEmpty() ? "" : ", ").append("changed ").append(changed);
    return out.toString();
  }
}
