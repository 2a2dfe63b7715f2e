package sites.deco.buildsecrets.ops.cli;

/**
 * One opted-in site in {@code status}. Holds names, versions and a state: never Secret data.
 *
 * @param upstreamVersion null when upstream was not read or holds no valid version
 * @param secretVersion the Secret's version annotation; null when there is no managed Secret
 * @param standingApproval the namespace approves deleting its managed Secret, which the rule table
 *     does not delete now: a later mistake asking for that deletion would go through at once
 */
public record StatusRow(String namespace, String site, StatusState state, String upstreamVersion, String secretVersion,
    String age, boolean standingApproval) {}
