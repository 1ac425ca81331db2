"""Scriptwriter: writes a hook-first script with a shot list and a generation prompt per shot,
and submits it through the checks (schema, hook gate, durations, policy words)."""

from __future__ import annotations

from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import ChatCompletionClient
from pydantic import ValidationError

from reelcrew.agents.context import RecordedTool, RunContext, quoted, result
from reelcrew.tools.script.checks import HOOK_MAX_WORDS, WORDS_PER_SECOND, check_script
from reelcrew.tools.script.models import Script

SYSTEM_MESSAGE = f"""You are the Scriptwriter of ReelCrew. Call get_brief, then write a hook-first short-video script
and call submit_script with it. Rules: the hook is one sentence of at most {HOOK_MAX_WORDS} words that opens a loop
(a question, a number, 'you', or a contrast) and shot 1's narration starts with it word for word; 4 to 8 shots,
each with narration (about {WORDS_PER_SECOND} words per second of the shot), short on-screen text, a concrete visual
prompt for a video generator, and seconds; total close to the brief's target_seconds; end with the call to action.
If the brief lists affiliate links, set `promotes` to their labels and put the disclosure text both on screen and in
the narration of the shot that mentions them. Address every item of the brief's feedback. If submit_script reports
problems, fix them and submit again. Finish with two sentences: what changed and why."""


def _feedback(ctx: RunContext) -> tuple[list[str], list[int]]:
    store, run_id = ctx.store, ctx.run_id
    notes: list[str] = []
    for g in store.gates(run_id, "script"):
        if g.status == "rejected" and g.reason:
            notes.append(f"human reviewer rejected {g.subject}: {quoted(g.reason, 300)}")
    latest = ctx.latest("script")
    if latest and not latest[1].get("valid"):
        for p in latest[1].get("problems", []):
            notes.append(f"check {p['check']}: {p['detail']} -> {p['fix']}")
    refused: list[int] = []
    video = ctx.latest("video")
    if video and video[1].get("needs_new_prompt"):
        refused = [int(i) for i in video[1]["needs_new_prompt"]]
        notes.append(f"the visual prompts of shots {refused} were refused for safety: rewrite them")
    policy = ctx.latest("policy_report")
    if policy and not policy[1].get("passed"):
        for f in policy[1].get("findings", []):
            if not f.get("passed") and (f.get("route_to") or "Scriptwriter") == "Scriptwriter":
                notes.append(f"policy {f.get('name')}: {f.get('detail')} -> {f.get('fix')}")
    return notes, refused


def build_tools(ctx: RunContext) -> list[RecordedTool]:
    async def get_brief() -> str:
        """The chosen topic, the channel's constraints and every piece of feedback the next script must address."""
        brief = ctx.latest("brief")
        if brief is None:
            return result(ok=False, error="no topic chosen yet: the Researcher must choose one first")
        notes, refused = _feedback(ctx)
        m = ctx.channel.monetization
        return result(
            ok=True,
            brief_version=brief[0],
            topic={"topic_id": brief[1]["topic_id"], "title": quoted(brief[1]["title"], 200),
                   "why": brief[1].get("explanation", "")[:300]},
            angle=brief[1].get("angle", ""),
            niche=ctx.channel.niche,
            target_seconds=ctx.channel.target_seconds,
            aspect=ctx.channel.aspect,
            call_to_action=m.call_to_action,
            affiliate_links=[{"label": a.label, "material_connection": a.material_connection}
                             for a in m.affiliate_links],
            disclosure_text=m.disclosure_text,
            next_version=ctx.store.count_artifacts(ctx.run_id, "script") + 1,
            previous_hook=(ctx.latest("script") or (0, {}))[1].get("script", {}).get("hook"),
            feedback=notes,
            refused_shots=refused,
        )

    async def submit_script(script: Script) -> str:
        """Submit a complete script; it is validated and checked, stored as a new version, and the problems returned."""
        brief = ctx.latest("brief")
        if brief is None:
            return result(ok=False, error="no topic chosen yet")
        ctx.fault("script")
        if isinstance(script, dict):  # defensive: some clients pass plain dicts
            try:
                script = Script.model_validate(script)
            except ValidationError as exc:
                return result(ok=False, problems=[{"check": "schema", "detail": str(exc)[:500], "fix": "fix the fields"}])
        report = check_script(script, ctx.channel)
        from reelcrew.agents.dispatcher import estimate_script_usd

        estimate = estimate_script_usd(ctx, script)
        version = ctx.put("script", {
            "script": script.model_dump(mode="json"),
            "valid": report.passed,
            "problems": [p.model_dump() for p in report.problems],
            "brief_version": brief[0],
            "estimated_usd": estimate,
            "source": "Scriptwriter",
        })
        return result(ok=report.passed, version=version, total_seconds=report.total_seconds,
                      hook_words=report.hook_words, estimated_cost_usd=estimate,
                      problems=[p.model_dump() for p in report.problems])

    return [
        RecordedTool(get_brief, ctx, get_brief.__doc__ or ""),
        RecordedTool(submit_script, ctx, submit_script.__doc__ or ""),
    ]


def make_scriptwriter(ctx: RunContext, client: ChatCompletionClient) -> AssistantAgent:
    return AssistantAgent(
        "Scriptwriter",
        model_client=client,
        tools=build_tools(ctx),
        system_message=SYSTEM_MESSAGE,
        description="Writes and revises the hook-first script with a shot list and per-shot prompts.",
        reflect_on_tool_use=True,
        max_tool_iterations=4,
    )
