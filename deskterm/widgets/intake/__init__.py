"""The intake screen's panels. Each owns its state, offers a small API (`part()` its slice of the
form, `clear()`, `restore(form)`) and reports upward with typed messages; screens/intake.py
coordinates them.

    script.ScriptLine        the line to read out and the call timer
    banner.Banner            errors, news and the after-call hint
    ringing.RingingLine      a call answered mid-call, waiting for F12 (ringing.IncomingCall)
    form.FormColumn          the form: caller.CallerPanel (lookup, screen pop, caller choice),
                             device.DevicePanel (model, serial, symptoms, warranty),
                             classification.ClassificationPanel (kind … service mode)
    pop.ScreenPop            the call saved, the caller's tickets, the device
    assist.AssistList        the side list (callers, devices, categories, suggestions)
    suggestions.Suggestions  knowledge suggestions and the article that solved the call
    chase.DuplicateChase     the answer about duplicates; the chase read-out
    draft.DraftKeeper        the draft on disk
    fields.ChoiceField       a one-key choice
"""
