package sites.deco.buildsecrets.sync;

/**
 * The approval annotation {@code deco.sites/build-secrets-deletion-approved} on a site namespace,
 * read. It lifts the deletion budget for one removal a person looked at:
 * <ul>
 *   <li>{@code <uid>} approves deleting the managed Secret with that UID (an opt-out, a missing key);
 *   <li>{@code <uid>@<resourceVersion>} approves any removal from that Secret as it is now: its
 *       deletion, or an upstream update that drops keys. The Secret stays after such an update, so
 *       the approval names its state: the write it approves changes the resourceVersion, which
 *       spends the approval, and a later removal needs a new one.
 * </ul>
 * A blanket, stale or mistyped value approves nothing. Who may set it is the admission policies'
 * concern (the deletion approvers).
 */
public final class DeletionApproval {
  private DeletionApproval() {}

  /** The value that approves any removal from this Secret in its current state. */
  public static String ofState(String uid, String resourceVersion) {
    return uid + "@" + resourceVersion;
  }

  /** Whether {@code annotation} approves deleting the Secret with this UID and resourceVersion. */
  public static boolean approvesDeletion(String annotation, String uid, String resourceVersion) {
    return annotation != null && uid != null
        && (annotation.equals(uid) || annotation.equals(ofState(uid, resourceVersion)));
  }

  /** Whether {@code annotation} approves an update that removes keys from the Secret in this state. */
  public static boolean approvesKeyRemoval(String annotation, String uid, String resourceVersion) {
    return annotation != null && uid != null && annotation.equals(ofState(uid, resourceVersion));
  }

  /** Whether {@code annotation} approves the removal {@code cause} asks for from {@code current}. */
  public static boolean approves(String annotation, LocalSecret.Managed current, DeletionCause cause) {
    return cause == DeletionCause.KEYS_REMOVED
        ? approvesKeyRemoval(annotation, current.uid(), current.resourceVersion())
        : approvesDeletion(annotation, current.uid(), current.resourceVersion());
  }
}
