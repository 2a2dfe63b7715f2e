package sites.deco.buildsecrets.ops.cli;

import java.util.List;

/**
 * One line of {@code doctor}: what was checked, whether it passed, and for a failure a concrete fix.
 *
 * @param fix null when ok
 */
public record DoctorCheck(boolean ok, String what, String fix) {

  public static DoctorCheck ok(String what) {
    return new DoctorCheck(true, what, null);
  }

  public static DoctorCheck fail(String what, String fix) {
    return new DoctorCheck(false, what, fix);
  }

  /** The report: one line per check, each failure followed by its fix, then a summary. Pure. */
  public static String render(List<DoctorCheck> checks) {
    StringBuilder out = new StringBuilder();
    long failed = 0;
    for (DoctorCheck c : checks) {
      out.append(c.ok() ? "OK    " : "FAIL  ").append(c.what()).append('\n');
      if (!c.ok()) {
        failed++;
        out.append("      fix: ").append(c.fix()).append('\n');
      }
    }
    out.append(failed == 0
        ? "all " + checks.size() + " checks passed\n"
        : failed + " of " + checks.size() + " checks failed\n");
    return out.toString();
  }
}
