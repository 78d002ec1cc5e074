Attribute VB_Name = "DunningRibbon"
' Dunning's ribbon tab. Every button on it (addin/customUI14.xml) calls DunningRibbonAction,
' which hands the button's id to Python: dunning.ribbon.run("<id>") does the work on the
' workbook in front of the user. A new button needs only the ribbon XML and a Python action.
'
' RunPython is the xlwings module built into this add-in (scripts/build_addin.py copies it
' from the installed xlwings package). It finds Python through xlwings' settings: the
' workbook's xlwings.conf sheet, an xlwings.conf file beside the workbook, or the user's
' %USERPROFILE%\.xlwings\xlwings.conf (Interpreter_Win / Interpreter_Mac), which
' "xlwings config create" writes.
Option Explicit

Public Sub DunningRibbonAction(control As Object)
    ' The ribbon's onAction callback. control is Office's IRibbonControl, declared As Object
    ' so that the add-in needs no reference to the Office object library (Windows and Mac).
    RunDunningAction control.Id
End Sub

Public Sub RunDunningAction(ByVal actionId As String)
    ' Runs one Dunning action on the active workbook, e.g. RunDunningAction "refresh".
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open a client workbook first: Dunning works on the workbook in front of you.", _
               vbInformation, "Dunning"
        Exit Sub
    End If
    RunPython "import dunning.ribbon; dunning.ribbon.run('" & actionId & "')"
End Sub
