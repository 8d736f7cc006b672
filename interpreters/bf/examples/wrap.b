Eight bit wrapping
zero minus one is two hundred and fifty five and the loop runs that often
-[>+<-]>
plus one wraps to zero then add forty nine and print the digit one
+
+++++++++++++++++++++++++++++++++++++++++++++++++.
add eight times thirty two which changes nothing and print again
<++++++++[>++++++++++++++++++++++++++++++++<-]>.
