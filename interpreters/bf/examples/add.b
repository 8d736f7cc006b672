Moves a count between two cells with the loop shape of the issue
c1 is ten times twenty
++++++++++[>++++++++++++++++++++<-]>
move c1 to c0
[-<+>]
move c0 back to c1
<[->+<]
subtract one hundred and thirty five and print A
>---------------------------------------------------------------------------------------------------------------------------------------.
