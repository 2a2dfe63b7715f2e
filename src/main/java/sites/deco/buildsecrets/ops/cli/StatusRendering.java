package sites.deco.buildsecrets.ops.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sites.deco.buildsecrets.config.Naming;
import sites.deco.buildsecrets.sync.DeletionLedger;

/** Renders {@code status} rows as a kubectl-like table or as a JSON array, and the deletion guard's note. Pure. */
public final class StatusRendering {
  static final List<String> HEADERS =
      List.of("NAMESPACE", "SITE", "STATE", "UPSTREAM-VERSION", "SECRET-VERSION", "AGE");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private StatusRendering() {}

  public static String table(List<StatusRow> rows, int othersNotOptedIn) {
    StringBuilder out = new StringBuilder();
    if (rows.isEmpty()) {
      out.append("No opted-in site namespaces.\n");
    } else {
      List<List<String>> cells = new ArrayList<>();
      cells.add(HEADERS);
      for (StatusRow r : rows) {
        cells.add(List.of(r.namespace(), r.site(), r.state().label(), dash(r.upstreamVersion()),
            dash(r.secretVersion()), r.age()));
      }
      int[] width = new int[HEADERS.size()];
      for (List<String> line : cells) {
        for (int i = 0; i < width.length; i++) {
          width[i] = Math.max(width[i], line.get(i).length());
        }
      }
      for (List<String> line : cells) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < width.length; i++) {
          l.append(line.get(i));
          if (i < width.length - 1) {
            l.append(" ".repeat(width[i] - line.get(i).length() + 3));
          }
        }
        out.append(l.toString().stripTrailing()).append('\n');
      }
    }
    if (othersNotOptedIn > 0) {
      out.append(othersNotOptedIn)
          .append(othersNotOptedIn == 1 ? " other site namespace is" : " other site namespaces are")
          .append(" not opted in (state off).\n");
    }
    List<String> standing = rows.stream().filter(StatusRow::standingApproval).map(StatusRow::namespace).toList();
    if (!standing.isEmpty()) {
      out.append("Deletion approvals still standing in ").append(String.join(", ", standing))
          .append(": nothing deletes these Secrets now, but a later change that would (an opt-out, a key read missing)"
              + " goes through at once, past the budget. If the change they approved was undone, remove them: "
              + "kubectl annotate ns <namespace> " + Naming.DELETION_APPROVAL_ANNOTATION + "-\n");
    }
    return out.toString();
  }

  /** The deletion guard's memory, from its ledger: the trip, and the budgeted deletions recorded; null when neither. */
  public static String guardNote(DeletionLedger.State ledger, String where, Instant now) {
    StringBuilder out = new StringBuilder();
    if (ledger.tripped()) {
      out.append("Deletion guard tripped ").append(HumanAge.since(ledger.trippedSince(), now))
          .append(" ago (").append(where).append("): budgeted deletions stay paused until the cause is undone "
              + "or each deletion is approved (approve-deletions).\n");
    }
    List<DeletionLedger.Sent> sent = ledger.sent();
    if (!sent.isEmpty()) {
      out.append("Deletion ledger: ").append(sent.size()).append(sent.size() == 1 ? " budgeted deletion" : " budgeted deletions")
          .append(" recorded, the latest ").append(HumanAge.since(sent.get(sent.size() - 1).at(), now))
          .append(" ago; those within the budget window (the resync period, or 15m without resync) count.\n");
    }
    return out.isEmpty() ? null : out.toString();
  }

  public static String json(List<StatusRow> rows) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (StatusRow r : rows) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("namespace", r.namespace());
      o.put("site", r.site());
      o.put("state", r.state().label());
      o.put("upstreamVersion", r.upstreamVersion());
      o.put("secretVersion", r.secretVersion());
      o.put("age", r.age());
      o.put("standingDeletionApproval", r.standingApproval());
      out.add(o);
    }
    try {
      return JSON.writeValueAsString(out) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render status as JSON", e);
    }
  }

  private static String dash(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }
}
